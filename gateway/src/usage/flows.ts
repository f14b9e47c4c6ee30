import type { FlowBaseline, FlowDelta } from '../conntrack/index.js';
import type { Logger } from '../log.js';
import type { TimeBuckets } from './buckets.js';
import type { FlowBatch, FlowUsageRow } from './flow-store.js';

export interface FlowSink {
  loadBaselines(): Promise<LabelledBaseline[]>;
  commit(batch: FlowBatch): Promise<void>;
}

export interface FlowSource {
  restore(b: readonly FlowBaseline[]): void;
  baselines(): FlowBaseline[];
}

/** A flow baseline with the name and app its flow was attributed to ('' = unknown). */
export type LabelledBaseline = FlowBaseline & { domain: string; app: string };

/** Names a flow's application, from what an agent on its device reported (attribution/apps.ts). */
export interface FlowAppLabeler {
  appFor(d: FlowDelta): string | null;
  /** The flow's device has a reporting agent: its report may just not have arrived yet. */
  expectsReport(d: FlowDelta): boolean;
}

/** How long a new flow's bytes wait for its agent's report before they are booked without an app. */
export const APP_WAIT_MS = 2_000;

/** Names a flow when it is first seen: the domain its device asked for before opening it. */
export interface FlowLabeler {
  labelFor(d: FlowDelta): string;
}

export interface AddressOwner {
  deviceIdForAddress(address: string): Promise<number>;
}

/** Where an address sits, as the ledger needs to know it. */
export interface FlowAddresses {
  /** A LAN address that is not the gateway's own: flows it opens are device usage. */
  isDevice(address: string): boolean;
  /**
   * Outside the LAN and not the gateway itself. Flows to the gateway (its UI, its DNS, an agent's
   * socket) and LAN↔LAN flows are not in the device's forwarded totals, so they are not booked
   * as usage either: the per-flow groups must add up to those totals.
   */
  isRemote(address: string): boolean;
}

/** Queued deltas beyond this are summed into one "overflow" count instead of growing memory. */
const MAX_QUEUED = 100_000;

/**
 * Turns conntrack flow deltas into per-device, per-remote hourly usage. A flow belongs to a device
 * when it was opened from the LAN side: its original source is a LAN address that is not the
 * gateway's own. Flows the gateway opens itself (upstream DNS later) and flows from the WAN are
 * not device usage and are skipped here; the nft totals stay the source of truth for devices.
 */
export class FlowLedger {
  #queue: FlowDelta[] = [];
  #dropped = 0;
  /**
   * Label per live flow, fixed at first sight: DNS evidence only exists around the time the
   * flow opens, and a flow must not change names halfway. Bounded by the tracker's flow cap,
   * since closed flows drop their label.
   */
  readonly #labels = new Map<string, string>();
  /** App per live flow once an agent named it; '' while none has. */
  readonly #apps = new Map<string, string>();
  /** When flows still waiting for their agent's report were first flushed. */
  readonly #waitingSince = new Map<string, number>();

  constructor(
    private readonly tracker: FlowSource,
    private readonly sink: FlowSink,
    private readonly owners: AddressOwner,
    private readonly addresses: FlowAddresses,
    private readonly buckets: TimeBuckets,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly labeler: FlowLabeler | null = null,
    private readonly apps: FlowAppLabeler | null = null,
  ) {}

  async start(): Promise<void> {
    const baselines = await this.sink.loadBaselines();
    for (const b of baselines) {
      this.#labels.set(b.key, b.domain);
      if (b.app) this.#apps.set(b.key, b.app);
    }
    this.tracker.restore(baselines);
  }

  /** Live flows opened from the LAN with the name each was attributed to (policy: kill on block). */
  *liveFlows(): Iterable<{ src: string; dst: string; domain: string }> {
    for (const [key, domain] of this.#labels) {
      // flowKey: id|proto|src|dst|ports — addresses never contain '|'
      const [, , src, dst] = key.split('|');
      if (src && dst) yield { src, dst, domain };
    }
  }

  /** The domain a live flow was attributed to ('' unknown, undefined not seen). */
  labelOf(key: string): string | undefined {
    return this.#labels.get(key);
  }

  get droppedDeltas(): number {
    return this.#dropped;
  }

  /** Called synchronously from the conntrack streams; the work happens at flush. */
  push(deltas: readonly FlowDelta[]): void {
    for (const d of deltas) {
      if (this.#queue.length >= MAX_QUEUED) {
        this.#dropped += 1;
        continue;
      }
      if (!this.#labels.has(d.key) && this.addresses.isDevice(d.origSrc)) {
        this.#labels.set(d.key, this.labeler?.labelFor(d) ?? '');
      }
      this.#queue.push(d);
    }
  }

  async flush(): Promise<number> {
    const all = this.#queue;
    if (all.length === 0) return 0;
    this.#queue = [];
    // A new flow of a device with an agent waits (briefly) for the agent to name its app, so a
    // fast transfer is not booked as "no app" just because the report came a moment later.
    const waiting = this.#resolveApps(all);
    const deltas = waiting.size ? all.filter((d) => !waiting.has(d.key)) : all;
    const held = waiting.size ? all.filter((d) => waiting.has(d.key)) : [];
    // Baselines are captured in the same tick as the queue swap, so they match exactly the
    // deltas in this batch; deltas that arrive during the awaits below belong to the next one.
    const moved = new Set<string>();
    const closed: string[] = [];
    for (const d of deltas) {
      if (d.closed) {
        closed.push(d.key);
        moved.delete(d.key);
      } else moved.add(d.key);
    }
    const live = this.tracker
      .baselines()
      .filter((b) => moved.has(b.key))
      .map((b) => ({ ...b, domain: this.#labels.get(b.key) ?? '', app: this.#apps.get(b.key) ?? '' }));
    const at = this.buckets.start('hour', this.now());
    const rows = new Map<string, FlowUsageRow>();
    for (const d of deltas) {
      if (!this.addresses.isDevice(d.origSrc) || !this.addresses.isRemote(d.origDst)) continue;
      if (d.origBytes === 0 && d.replyBytes === 0 && !d.closed) continue;
      const deviceId = await this.owners.deviceIdForAddress(d.origSrc);
      const port = d.origDport ?? 0;
      const domain = this.#labels.get(d.key) ?? '';
      const app = this.#apps.get(d.key) ?? '';
      const key = `${deviceId}|${d.origDst}|${d.proto}|${port}|${domain}|${app}`;
      const row = rows.get(key) ?? {
        bucketStart: at,
        deviceId,
        remote: d.origDst,
        proto: d.proto,
        port,
        domain,
        app,
        rxBytes: 0,
        txBytes: 0,
        flows: 0,
      };
      row.txBytes += d.origBytes;
      row.rxBytes += d.replyBytes;
      if (d.closed && !d.late) row.flows += 1;
      rows.set(key, row);
    }
    try {
      await this.sink.commit({ rows: [...rows.values()], baselines: live, closed });
    } catch (err) {
      // Keep the deltas: the next flush retries them with the then-current baselines.
      this.#queue = all.concat(this.#queue);
      throw new Error(`commit ${rows.size} flow usage rows: ${(err as Error).message}`, { cause: err });
    }
    this.#queue = held.concat(this.#queue);
    for (const key of closed) {
      this.#labels.delete(key);
      this.#apps.delete(key);
      this.#waitingSince.delete(key);
    }
    this.log.debug({ rows: rows.size, closed: closed.length, waiting: waiting.size }, 'flow usage committed');
    return rows.size;
  }

  /** Looks up apps for flows that have none yet; returns the keys that should wait for a report. */
  #resolveApps(deltas: readonly FlowDelta[]): Set<string> {
    const waiting = new Set<string>();
    if (!this.apps) return waiting;
    const now = this.now().getTime();
    for (const d of deltas) {
      if (this.#apps.get(d.key) || !this.addresses.isDevice(d.origSrc)) continue;
      const app = this.apps.appFor(d);
      if (app) {
        this.#apps.set(d.key, app);
        this.#waitingSince.delete(d.key);
        continue;
      }
      if (!this.apps.expectsReport(d)) continue;
      const since = this.#waitingSince.get(d.key) ?? now;
      this.#waitingSince.set(d.key, since);
      if (now - since < APP_WAIT_MS) waiting.add(d.key);
    }
    return waiting;
  }
}
