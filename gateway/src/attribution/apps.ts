import type { AgentFlows, FlowTuple } from '@packetpilot/protocol';
import type { FlowDelta } from '../conntrack/index.js';

/**
 * Which application owns which connection, as agents on the devices report it: the agent's
 * 5-tuple (its own address and port → the remote) is conntrack's original tuple for a flow the
 * device opened, so joining the two gives exact per-app bytes without any packet capture.
 */
export interface AppOwner {
  app: string;
  deviceId: number | null;
}

export interface AppFlowsOptions {
  /** Connections remembered at most (oldest go first). */
  maxFlows?: number;
  /** How long a closed connection is kept for conntrack's last flush. */
  closedGraceMs?: number;
  /** An agent not heard from for this long no longer makes the ledger wait for its reports. */
  agentSilenceMs?: number;
  now?: () => number;
}

interface Entry extends AppOwner {
  closedAt: number | null;
}

/** IPv4-mapped IPv6 (a dual-stack socket) is the IPv4 address conntrack shows. */
const plain = (a: string) => (a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a).toLowerCase();

export const tupleKey = (proto: string, src: string, sport: number, dst: string, dport: number): string =>
  `${proto}|${plain(src)}|${sport}|${plain(dst)}|${dport}`;

export class AppFlows {
  readonly #flows = new Map<string, Entry>();
  /** Devices with an agent, and when it last reported. */
  readonly #agents = new Map<number, number>();
  readonly #max: number;
  readonly #graceMs: number;
  readonly #silenceMs: number;
  readonly #now: () => number;

  constructor(o: AppFlowsOptions = {}) {
    this.#max = o.maxFlows ?? 100_000;
    this.#graceMs = o.closedGraceMs ?? 120_000;
    this.#silenceMs = o.agentSilenceMs ?? 90_000;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#flows.size;
  }

  /** From the agent hub (AgentReportSink): hello and flows; other reports are someone else's. */
  ingest(agent: { agentId: number; deviceId: number | null }, report: { type: string; os?: string }): void {
    const now = this.#now();
    // Only agents that report sockets make a device's new flows wait for a report; a phone agent
    // reports per-app counters instead.
    const reportsFlows =
      report.type === 'flows' || (report.type === 'hello' && !/^android/i.test(report.os ?? ''));
    if (agent.deviceId !== null && reportsFlows) this.#agents.set(agent.deviceId, now);
    if (report.type !== 'flows') return;
    const flows = report as AgentFlows;
    for (const f of flows.opened) {
      const key = tupleKey(f.proto, f.src, f.sport, f.dst, f.dport);
      this.#flows.delete(key); // re-insert: insertion order is age order for eviction
      this.#flows.set(key, { app: f.app.name, deviceId: agent.deviceId, closedAt: null });
    }
    for (const f of flows.closed) this.#close(f, now);
    this.#evict(now);
  }

  /** The app that owns a conntrack flow opened from the LAN, or null when no agent said. */
  appFor(d: Pick<FlowDelta, 'proto' | 'origSrc' | 'origSport' | 'origDst' | 'origDport'>): string | null {
    if (d.origSport === undefined || d.origDport === undefined) return null;
    return this.#flows.get(tupleKey(d.proto, d.origSrc, d.origSport, d.origDst, d.origDport))?.app ?? null;
  }

  /** A device whose agent is reporting: its new flows are worth waiting a moment for. */
  hasAgent(deviceId: number): boolean {
    const at = this.#agents.get(deviceId);
    return at !== undefined && this.#now() - at <= this.#silenceMs;
  }

  #close(f: FlowTuple, now: number) {
    const e = this.#flows.get(tupleKey(f.proto, f.src, f.sport, f.dst, f.dport));
    if (e && e.closedAt === null) e.closedAt = now;
  }

  /** Age order: drop expired closed entries from the front, and the oldest when over the cap. */
  #evict(now: number) {
    for (const [key, e] of this.#flows) {
      const expired = e.closedAt !== null && now - e.closedAt >= this.#graceMs;
      if (!expired && this.#flows.size <= this.#max) break;
      this.#flows.delete(key);
    }
  }
}
