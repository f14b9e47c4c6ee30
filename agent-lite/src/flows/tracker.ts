/**
 * Successive socket snapshots → flows opened and closed. A flow is a connected socket whose remote
 * can be reached only through the gateway: listeners, unconnected UDP and loopback, link-local,
 * multicast or unspecified remotes are left out. The first owner of a tuple names it.
 */
import type { FlowOpened, FlowTuple } from '@packetpilot/protocol';
import { isLocalOnly } from '../collect/address.js';
import type { AppInfo, SocketOwner } from '../collect/collector.js';

export interface FlowChanges {
  opened: FlowOpened[];
  closed: FlowTuple[];
}

/** The protocol's limits on app fields (protocol/src/agents.ts FlowApp). */
const LIMITS = { name: 256, path: 4096, user: 256 } as const;

export function isFlow(s: SocketOwner): boolean {
  return !s.listening && s.remote.port !== 0 && s.local.port !== 0 && !isLocalOnly(s.remote.address);
}

export function tupleOf(s: SocketOwner): FlowTuple {
  return {
    proto: s.proto,
    src: s.local.address,
    sport: s.local.port,
    dst: s.remote.address,
    dport: s.remote.port,
  };
}

export function tupleKey(t: FlowTuple): string {
  return `${t.proto} ${t.src} ${t.sport} ${t.dst} ${t.dport}`;
}

/** App fields cut to what the protocol accepts. */
export function clipApp(app: AppInfo): FlowOpened['app'] {
  const out: FlowOpened['app'] = { name: app.name.slice(0, LIMITS.name) || '?' };
  if (app.path) out.path = app.path.slice(0, LIMITS.path);
  if (app.user) out.user = app.user.slice(0, LIMITS.user);
  return out;
}

export class FlowTracker {
  readonly #open = new Map<string, FlowTuple>();

  /** Flows open right now. */
  get size(): number {
    return this.#open.size;
  }

  /** What changed since the previous snapshot (the first one reports every flow as opened). */
  update(snapshot: readonly SocketOwner[]): FlowChanges {
    const seen = new Map<string, SocketOwner>();
    for (const s of snapshot) {
      if (!isFlow(s)) continue;
      const key = tupleKey(tupleOf(s));
      if (!seen.has(key)) seen.set(key, s);
    }
    const opened: FlowOpened[] = [];
    for (const [key, s] of seen) {
      if (this.#open.has(key)) continue;
      const tuple = tupleOf(s);
      this.#open.set(key, tuple);
      opened.push({ ...tuple, pid: s.pid, app: clipApp(s.app) });
    }
    const closed: FlowTuple[] = [];
    for (const [key, tuple] of this.#open) {
      if (seen.has(key)) continue;
      this.#open.delete(key);
      closed.push(tuple);
    }
    return { opened, closed };
  }
}
