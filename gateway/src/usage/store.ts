import { and, asc, desc, eq, gte, inArray, like, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { counterBaselines, usageDay, usageHour, usageMinute } from '../db/schema.js';
import { TimeBuckets, type Bucket } from './buckets.js';

/** What a usage row counts: internet (forwarded), to/from the gateway itself, LAN↔LAN. */
export const UsageKind = { Internet: 0, Gateway: 1, Lan: 2 } as const;
export type UsageKind = (typeof UsageKind)[keyof typeof UsageKind];
export const UNATTRIBUTED_DEVICE = 0;

export interface UsageIncrement {
  at: Date;
  /** 0 = unattributed. */
  deviceId: number;
  kind: UsageKind;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

export interface CounterBaseline {
  key: string;
  packets: number;
  bytes: number;
}

export interface UsageBatch {
  increments: UsageIncrement[];
  baselines: CounterBaseline[];
}

export interface UsagePoint {
  start: Date;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
}

export interface DeviceTotal {
  deviceId: number;
  rxBytes: number;
  txBytes: number;
}

export interface Retention {
  minuteMs: number;
  hourMs: number;
  dayMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const DEFAULT_RETENTION: Retention = {
  minuteMs: 48 * HOUR_MS,
  hourMs: 90 * DAY_MS,
  dayMs: 5 * 365 * DAY_MS,
};

const TIERS = { minute: usageMinute, hour: usageHour, day: usageDay } as const;
type Tier = (typeof TIERS)[Bucket];
type Row = Omit<Tier['$inferInsert'], 'kind'> & { kind: number };
// 7 parameters a row; PostgreSQL allows 65535 parameters per statement.
const ROWS_PER_INSERT = 4000;

export interface UsageStoreOptions {
  timeZone?: string;
  now?: () => Date;
  retention?: Partial<Retention>;
}

export class UsageStore {
  readonly buckets: TimeBuckets;
  readonly retention: Retention;
  readonly #now: () => Date;

  constructor(
    private readonly db: Db,
    options: UsageStoreOptions = {},
  ) {
    this.buckets = new TimeBuckets(options.timeZone);
    this.#now = options.now ?? (() => new Date());
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
  }

  /**
   * Writes usage into all three tiers and moves the counter baselines, in ONE transaction.
   * The collector computes increments as (kernel counter − stored baseline). If usage and
   * baselines committed separately, a kill -9 between them would either lose the increment
   * (baseline moved, usage not written) or count it again on restart (usage written, old
   * baseline re-read). Together, a crash leaves either both or neither, so after a restart the
   * next delta is exactly the part not yet counted.
   * Tiers are written together (not rolled up from minutes later) so that each tier holds the
   * complete totals on its own: pruning the minute tier loses resolution, never bytes.
   */
  async commit(batch: UsageBatch): Promise<void> {
    const rows = {
      minute: new Map<string, Row>(),
      hour: new Map<string, Row>(),
      day: new Map<string, Row>(),
    };
    // Many increments share a minute; the Intl time-zone lookups are the costly part.
    const startsByMinute = new Map<number, [Date, Date, Date]>();
    for (const inc of batch.increments) {
      if (!Number.isInteger(inc.deviceId) || inc.deviceId < 0)
        throw new Error(`usage: bad deviceId ${inc.deviceId}`);
      const minute = this.buckets.start('minute', inc.at);
      let starts = startsByMinute.get(minute.getTime());
      if (!starts) {
        starts = [minute, this.buckets.start('hour', minute), this.buckets.start('day', minute)];
        startsByMinute.set(minute.getTime(), starts);
      }
      addTo(rows.minute, starts[0], inc);
      addTo(rows.hour, starts[1], inc);
      addTo(rows.day, starts[2], inc);
    }
    const baselines = new Map(batch.baselines.map((b) => [b.key, b]));
    if (rows.minute.size === 0 && baselines.size === 0) return;
    const updatedAt = this.#now();
    await this.db.transaction(async (tx) => {
      for (const bucket of ['minute', 'hour', 'day'] as const) {
        // A stable key order keeps concurrent writers locking rows in the same order (no deadlocks).
        const sorted = [...rows[bucket].entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        for (let i = 0; i < sorted.length; i += ROWS_PER_INSERT) {
          const chunk = sorted.slice(i, i + ROWS_PER_INSERT).map(([, row]) => row);
          await upsertUsage(tx, TIERS[bucket], chunk);
        }
      }
      const keyed = [...baselines.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (let i = 0; i < keyed.length; i += ROWS_PER_INSERT) {
        const chunk = keyed.slice(i, i + ROWS_PER_INSERT).map((b) => ({ ...b, updatedAt }));
        await tx
          .insert(counterBaselines)
          .values(chunk)
          .onConflictDoUpdate({
            target: counterBaselines.key,
            set: {
              packets: sql`excluded.packets`,
              bytes: sql`excluded.bytes`,
              updatedAt: sql`excluded.updated_at`,
            },
          });
      }
    });
  }

  async loadBaselines(prefix?: string): Promise<Map<string, { packets: number; bytes: number }>> {
    const rows = await this.db
      .select({ key: counterBaselines.key, packets: counterBaselines.packets, bytes: counterBaselines.bytes })
      .from(counterBaselines)
      .where(prefix === undefined ? undefined : like(counterBaselines.key, `${escapeLike(prefix)}%`));
    return new Map(rows.map((r) => [r.key, { packets: r.packets, bytes: r.bytes }]));
  }

  /**
   * One device's usage in [from, to) from the tier matching `bucket`, oldest first, summed over
   * the kinds asked for (all when omitted). Sparse by default: buckets without traffic are
   * left out; `fill: true` returns every bucket of the range (zeros included) in local time.
   */
  async series(q: {
    deviceId: number;
    from: Date;
    to: Date;
    bucket: Bucket;
    kind?: UsageKind | UsageKind[];
    fill?: boolean;
  }): Promise<UsagePoint[]> {
    const t = TIERS[q.bucket];
    const rows = await this.db
      .select({ start: t.bucketStart, ...sums(t) })
      .from(t)
      .where(
        and(
          eq(t.deviceId, q.deviceId),
          gte(t.bucketStart, q.from),
          lt(t.bucketStart, q.to),
          kindFilter(t, q.kind),
        ),
      )
      .groupBy(t.bucketStart)
      .orderBy(asc(t.bucketStart));
    if (!q.fill) return rows;
    const byStart = new Map(rows.map((r) => [r.start.getTime(), r]));
    const out: UsagePoint[] = [];
    let start = this.buckets.start(q.bucket, q.from);
    if (start < q.from) start = this.buckets.next(q.bucket, start);
    for (; start < q.to; start = this.buckets.next(q.bucket, start)) {
      out.push(byStart.get(start.getTime()) ?? { start, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 });
    }
    return out;
  }

  /**
   * Per-device totals. Without a range: all time, from the day tier (kept longest). With a range:
   * buckets whose start lies in [from, to), read from the finest tier still retained at `from`,
   * so the edges are exact to that tier's resolution (a minute within 48 h, else an hour or a day).
   */
  async totals(q: { from?: Date; to?: Date; kind?: UsageKind | UsageKind[] } = {}): Promise<DeviceTotal[]> {
    return this.#totals(q);
  }

  /** One device's internet bytes in [from, to), from the finest tier still covering `from`. */
  async total(q: { deviceId: number; from: Date; to: Date }): Promise<{ rxBytes: number; txBytes: number }> {
    const points = await this.series({ ...q, bucket: this.tierFor(q.from), kind: 0 });
    let rxBytes = 0;
    let txBytes = 0;
    for (const p of points) {
      rxBytes += p.rxBytes;
      txBytes += p.txBytes;
    }
    return { rxBytes, txBytes };
  }

  /** The top `limit` devices by rx+tx in the range (unattributed included, as device 0). */
  async summary(q: {
    from: Date;
    to: Date;
    limit: number;
    kind?: UsageKind | UsageKind[];
  }): Promise<DeviceTotal[]> {
    return this.#totals(q, q.limit);
  }

  /** The finest tier whose retention still covers `from` (the day tier for all-time queries). */
  tierFor(from: Date | undefined): Bucket {
    if (from === undefined) return 'day';
    const age = this.#now().getTime() - from.getTime();
    if (age <= this.retention.minuteMs) return 'minute';
    if (age <= this.retention.hourMs) return 'hour';
    return 'day';
  }

  async #totals(q: { from?: Date; to?: Date; kind?: UsageKind | UsageKind[] }, limit?: number) {
    const t = TIERS[this.tierFor(q.from)];
    const s = sums(t);
    const query = this.db
      .select({ deviceId: t.deviceId, rxBytes: s.rxBytes, txBytes: s.txBytes })
      .from(t)
      .where(
        and(
          q.from === undefined ? undefined : gte(t.bucketStart, q.from),
          q.to === undefined ? undefined : lt(t.bucketStart, q.to),
          kindFilter(t, q.kind),
        ),
      )
      .groupBy(t.deviceId)
      .orderBy(desc(sql`sum(${t.rxBytes}) + sum(${t.txBytes})`), asc(t.deviceId));
    return limit === undefined ? query : query.limit(limit);
  }

  /**
   * Deletes each tier's rows older than its retention. Every tier carries the full totals (see
   * commit), so all-time totals from the day tier do not change when minutes or hours go.
   */
  async prune(now: Date = this.#now()): Promise<{ minute: number; hour: number; day: number }> {
    const deleted = { minute: 0, hour: 0, day: 0 };
    const keep: Record<Bucket, number> = {
      minute: this.retention.minuteMs,
      hour: this.retention.hourMs,
      day: this.retention.dayMs,
    };
    for (const bucket of ['minute', 'hour', 'day'] as const) {
      const t = TIERS[bucket];
      const cutoff = new Date(now.getTime() - keep[bucket]);
      // Counted in SQL: RETURNING every row would ship a whole day of minutes back to Node.
      const result = await this.db.execute<{ n: number }>(
        sql`with gone as (delete from ${t} where ${t.bucketStart} < ${cutoff.toISOString()}::timestamptz returning 1)
            select count(*)::int as n from gone`,
      );
      deleted[bucket] = result.rows[0]?.n ?? 0;
    }
    return deleted;
  }
}

function addTo(rows: Map<string, Row>, bucketStart: Date, inc: UsageIncrement): void {
  const key = `${bucketStart.toISOString()}|${String(inc.deviceId).padStart(10, '0')}|${inc.kind}`;
  const row = rows.get(key);
  if (row) {
    row.rxBytes += inc.rxBytes;
    row.txBytes += inc.txBytes;
    row.rxPackets += inc.rxPackets;
    row.txPackets += inc.txPackets;
  } else {
    const { deviceId, kind, rxBytes, txBytes, rxPackets, txPackets } = inc;
    rows.set(key, { bucketStart, deviceId, kind, rxBytes, txBytes, rxPackets, txPackets });
  }
}

// Each statement touches a row at most once (keys were merged in memory), which ON CONFLICT requires.
async function upsertUsage(tx: Pick<Db, 'insert'>, t: Tier, rows: Row[]): Promise<void> {
  await tx
    .insert(t)
    .values(rows)
    .onConflictDoUpdate({
      target: [t.bucketStart, t.deviceId, t.kind],
      set: {
        rxBytes: sql`${t.rxBytes} + excluded.rx_bytes`,
        txBytes: sql`${t.txBytes} + excluded.tx_bytes`,
        rxPackets: sql`${t.rxPackets} + excluded.rx_packets`,
        txPackets: sql`${t.txPackets} + excluded.tx_packets`,
      },
    });
}

// sum(bigint) is numeric; cast back so both drivers return an integer that fits a JS number.
function sums(t: Tier) {
  const sum = (c: SQL | Tier['rxBytes']) => sql<number>`coalesce(sum(${c}), 0)::bigint`.mapWith(Number);
  return {
    rxBytes: sum(t.rxBytes),
    txBytes: sum(t.txBytes),
    rxPackets: sum(t.rxPackets),
    txPackets: sum(t.txPackets),
  };
}

function kindFilter(t: Tier, kind: UsageKind | UsageKind[] | undefined): SQL | undefined {
  if (kind === undefined) return undefined;
  return Array.isArray(kind) ? inArray(t.kind, kind) : eq(t.kind, kind);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
