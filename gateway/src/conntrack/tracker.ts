import type { HealthRegistry } from '../health/registry.js';
import type { Logger } from '../log.js';
import type { Flow, FlowDelta, FlowEvent } from './flow.js';

export const HEALTH_EVENTS_LOST = 'conntrack_events_lost';
export const HEALTH_EVENTS_SILENT = 'conntrack_events_silent';

/** Last-seen counters of one flow; persisted with usage so a restart neither loses nor double counts. */
export interface FlowBaseline {
  key: string;
  origBytes: number;
  origPackets: number;
  replyBytes: number;
  replyPackets: number;
}

export interface FlowTrackerOptions {
  /** Live flows remembered at most; beyond it new flows are counted in `overflow`, not tracked. */
  maxFlows?: number;
  /** Raise conntrack_events_silent when dumps find unknown flows and no NEW came for this long. */
  silentAfterMs?: number;
  health?: HealthRegistry;
  log?: Logger;
  now?: () => number;
}

interface Entry {
  flow: Flow;
  last: Omit<FlowBaseline, 'key'>;
  touchedAt: number;
}

const ZERO = { origBytes: 0, origPackets: 0, replyBytes: 0, replyPackets: 0 };

/** conntrack reuses ids after destroy, so the id alone is not a key; the tuple alone is not either (ports get reused). */
export function flowKey(f: Flow): string {
  const o = f.orig;
  const ports =
    f.proto === 'icmp' || f.proto === 'icmpv6' ? `${o.type}/${o.code}/${o.icmpId}` : `${o.sport}/${o.dport}`;
  return `${f.id ?? '-'}|${f.proto}|${o.src}|${o.dst}|${ports}`;
}

function countersOf(f: Flow): Omit<FlowBaseline, 'key'> | null {
  const { orig: o, reply: r } = f;
  if (o.bytes === undefined || r.bytes === undefined) return null;
  return {
    origBytes: o.bytes,
    origPackets: o.packets ?? 0,
    replyBytes: r.bytes,
    replyPackets: r.packets ?? 0,
  };
}

/** A counter below its last value means the entry was reset/replaced: the new value is all new. */
const diff = (now: number, last: number): number => (now >= last ? now - last : now);

/**
 * The per-flow byte ledger. Events and dumps both feed it; whichever sees new counters first
 * reports the movement, the other then sees no difference — so losing either stream loses
 * attribution detail, never bytes that a later dump or DESTROY can still show.
 */
/** Flows a dump closed whose DESTROY may still be on its way (oldest forgotten first). */
const MAX_GONE = 16_384;

export class FlowTracker {
  readonly #flows = new Map<string, Entry>();
  /**
   * Last readings of flows a dump found gone: their DESTROY, if it comes after the dump, carries
   * the final counters, and must count only what moved after that reading, not the whole flow.
   */
  readonly #gone = new Map<string, Omit<FlowBaseline, 'key'>>();
  #baseline = new Map<string, Omit<FlowBaseline, 'key'>>();
  readonly #max: number;
  readonly #silentAfterMs: number;
  readonly #health: HealthRegistry | undefined;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  #overflow = 0;
  #lastNewAt: number;
  #needDump = false;
  #silent = false;

  constructor(opts: FlowTrackerOptions = {}) {
    this.#max = opts.maxFlows ?? 65_536;
    this.#silentAfterMs = opts.silentAfterMs ?? 120_000;
    this.#health = opts.health;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#lastNewAt = this.#now();
  }

  get size(): number {
    return this.#flows.size;
  }

  /** Flows that could not be tracked because the cap was reached (their bytes stay unattributed). */
  get overflow(): number {
    return this.#overflow;
  }

  /** True after an overrun until the next dump has been ingested. */
  get needsDump(): boolean {
    return this.#needDump;
  }

  baselines(): FlowBaseline[] {
    return [...this.#flows].map(([key, e]) => ({ key, ...e.last }));
  }

  /** Before the first dump after a restart: counters up to these values were already stored. */
  restore(baselines: readonly FlowBaseline[]): void {
    this.#baseline = new Map(baselines.slice(0, this.#max).map(({ key, ...c }) => [key, c]));
  }

  /** The event stream reported ENOBUFS: some events are gone, only a dump can tell what changed. */
  noteOverrun(): void {
    this.#needDump = true;
    this.#health?.raise(
      HEALTH_EVENTS_LOST,
      'conntrack events were lost (ENOBUFS); reconciling with a full dump',
    );
  }

  ingestEvent(e: FlowEvent): FlowDelta[] {
    const key = flowKey(e.flow);
    if (e.type === 'NEW') {
      this.#lastNewAt = this.#now();
      this.#silent = false;
      this.#health?.clear(HEALTH_EVENTS_SILENT);
    }
    const counters = countersOf(e.flow);
    if (e.type === 'DESTROY') {
      const entry = this.#flows.get(key);
      this.#flows.delete(key);
      const gone = entry ? undefined : this.#gone.get(key);
      if (gone) {
        this.#gone.delete(key);
        if (!counters) return [];
        const d = { ...this.#delta(key, e.flow, counters, gone, true), late: true as const };
        return d.origBytes || d.replyBytes || d.origPackets || d.replyPackets ? [d] : [];
      }
      const last = entry?.last ?? this.#baseline.get(key) ?? ZERO;
      this.#baseline.delete(key);
      // Without acct the DESTROY has no counters: nothing more can be learnt about this flow.
      return counters ? [this.#delta(key, e.flow, counters, last, true)] : [];
    }
    const entry = this.#track(key, e.flow);
    if (!entry || !counters) return [];
    return this.#advance(key, entry, counters, false);
  }

  /**
   * A full dump. `startedAt` is when the dump began: entries touched after it (e.g. a NEW that
   * raced the dump) are not treated as gone when missing from it.
   */
  ingestDump(flows: readonly Flow[], startedAt: number = this.#now()): FlowDelta[] {
    const out: FlowDelta[] = [];
    const seen = new Set<string>();
    let unknown = 0;
    for (const f of flows) {
      const key = flowKey(f);
      seen.add(key);
      if (!this.#flows.has(key)) unknown++;
      const entry = this.#track(key, f);
      const counters = countersOf(f);
      if (entry && counters) out.push(...this.#advance(key, entry, counters, false));
    }
    for (const [key, e] of this.#flows) {
      if (seen.has(key) || e.touchedAt > startedAt) continue;
      // Gone without a DESTROY we saw (yet): its bytes after the last reading come with that
      // DESTROY if it is only late, else they are unknowable.
      this.#flows.delete(key);
      this.#gone.set(key, e.last);
      if (this.#gone.size > MAX_GONE) this.#gone.delete(this.#gone.keys().next().value!);
      out.push(this.#delta(key, e.flow, e.last, e.last, true));
    }
    // Baselines only describe flows alive at the restart; anything not matched by now is over.
    this.#baseline.clear();
    if (this.#needDump) {
      this.#needDump = false;
      this.#health?.clear(HEALTH_EVENTS_LOST);
    }
    const quietFor = this.#now() - this.#lastNewAt;
    if (unknown > 0 && quietFor > this.#silentAfterMs) {
      this.#silent = true;
      this.#health?.raise(
        HEALTH_EVENTS_SILENT,
        `dump found ${unknown} flows never announced, and no NEW event for ${Math.round(quietFor / 1000)} s`,
      );
    }
    return out.filter((d) => d.closed || d.origBytes || d.replyBytes || d.origPackets || d.replyPackets);
  }

  /** Whether the event stream looks dead and should be resubscribed. */
  get eventsSilent(): boolean {
    return this.#silent;
  }

  #track(key: string, flow: Flow): Entry | undefined {
    let entry = this.#flows.get(key);
    if (!entry) {
      if (this.#flows.size >= this.#max) {
        this.#overflow++;
        if (this.#overflow === 1)
          this.#log?.warn({ max: this.#max }, 'flow tracker full; new flows unattributed');
        return undefined;
      }
      // A flow we never saw counts from its restored baseline, else from zero: its bytes were never stored.
      entry = { flow, last: this.#baseline.get(key) ?? { ...ZERO }, touchedAt: this.#now() };
      this.#baseline.delete(key);
      this.#flows.set(key, entry);
    }
    entry.flow = flow;
    entry.touchedAt = this.#now();
    return entry;
  }

  #advance(key: string, entry: Entry, counters: Omit<FlowBaseline, 'key'>, closed: boolean): FlowDelta[] {
    const d = this.#delta(key, entry.flow, counters, entry.last, closed);
    entry.last = counters;
    return d.origBytes || d.replyBytes || d.origPackets || d.replyPackets ? [d] : [];
  }

  #delta(
    key: string,
    f: Flow,
    now: Omit<FlowBaseline, 'key'>,
    last: Omit<FlowBaseline, 'key'>,
    closed: boolean,
  ): FlowDelta {
    return {
      key,
      proto: f.proto,
      origSrc: f.orig.src,
      origDst: f.orig.dst,
      ...(f.orig.sport !== undefined ? { origSport: f.orig.sport } : {}),
      ...(f.orig.dport !== undefined ? { origDport: f.orig.dport } : {}),
      replySrc: f.reply.src,
      replyDst: f.reply.dst,
      origBytes: diff(now.origBytes, last.origBytes),
      origPackets: diff(now.origPackets, last.origPackets),
      replyBytes: diff(now.replyBytes, last.replyBytes),
      replyPackets: diff(now.replyPackets, last.replyPackets),
      closed,
    };
  }
}
