import { and, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { flowBaselines, flowUsageHour } from '../db/schema.js';
import type { LabelledBaseline } from './flows.js';

export interface FlowUsageRow {
  bucketStart: Date;
  deviceId: number;
  remote: string;
  proto: string;
  port: number;
  /** The name the flow was attributed to; '' = no DNS evidence. */
  domain: string;
  /** The app an agent named; '' = none did. */
  app: string;
  rxBytes: number;
  txBytes: number;
  flows: number;
}

export interface FlowBatch {
  rows: FlowUsageRow[];
  /** Live flows whose counters moved: their new last-seen values. */
  baselines: LabelledBaseline[];
  /** Flows that ended: their baselines are no longer needed. */
  closed: string[];
}

export type RemoteUsage = Omit<FlowUsageRow, 'bucketStart' | 'deviceId' | 'domain' | 'app'>;

export interface DomainUsage {
  /** '' = flows without DNS evidence. */
  domain: string;
  /** '' = no agent named the app. */
  app: string;
  rxBytes: number;
  txBytes: number;
  flows: number;
}

const CHUNK = 2000;
const HOUR_MS = 3_600_000;
const byKey =
  <T>(k: (x: T) => string) =>
  (a: T, b: T) =>
    k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;

/** Storage of per-flow usage; rows and the flow baselines they came from commit together. */
export class FlowStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async loadBaselines(): Promise<LabelledBaseline[]> {
    const rows = await this.db.select().from(flowBaselines);
    return rows.map(({ updatedAt: _u, ...b }) => b);
  }

  async commit(batch: FlowBatch): Promise<void> {
    if (!batch.rows.length && !batch.baselines.length && !batch.closed.length) return;
    const updatedAt = this.now();
    const rows = [...batch.rows].sort(
      byKey(
        (r) => `${r.bucketStart.toISOString()}|${r.deviceId}|${r.remote}|${r.proto}|${r.port}|${r.domain}`,
      ),
    );
    const baselines = [...batch.baselines].sort(byKey((b) => b.key));
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx
          .insert(flowUsageHour)
          .values(rows.slice(i, i + CHUNK))
          .onConflictDoUpdate({
            target: [
              flowUsageHour.bucketStart,
              flowUsageHour.deviceId,
              flowUsageHour.remote,
              flowUsageHour.proto,
              flowUsageHour.port,
              flowUsageHour.domain,
              flowUsageHour.app,
            ],
            set: {
              rxBytes: sql`${flowUsageHour.rxBytes} + excluded.rx_bytes`,
              txBytes: sql`${flowUsageHour.txBytes} + excluded.tx_bytes`,
              flows: sql`${flowUsageHour.flows} + excluded.flows`,
            },
          });
      }
      for (let i = 0; i < baselines.length; i += CHUNK) {
        await tx
          .insert(flowBaselines)
          .values(baselines.slice(i, i + CHUNK).map((b) => ({ ...b, updatedAt })))
          .onConflictDoUpdate({
            target: flowBaselines.key,
            set: {
              origBytes: sql`excluded.orig_bytes`,
              origPackets: sql`excluded.orig_packets`,
              replyBytes: sql`excluded.reply_bytes`,
              replyPackets: sql`excluded.reply_packets`,
              domain: sql`excluded.domain`,
              app: sql`excluded.app`,
              updatedAt: sql`excluded.updated_at`,
            },
          });
      }
      for (let i = 0; i < batch.closed.length; i += CHUNK) {
        await tx.delete(flowBaselines).where(inArray(flowBaselines.key, batch.closed.slice(i, i + CHUNK)));
      }
    });
  }

  /** Baselines of flows that vanished while nobody was looking (daemon down during DESTROY). */
  async pruneBaselines(olderThan: Date): Promise<number> {
    const gone = await this.db
      .delete(flowBaselines)
      .where(lt(flowBaselines.updatedAt, olderThan))
      .returning({ key: flowBaselines.key });
    return gone.length;
  }

  async prune(olderThan: Date): Promise<number> {
    const gone = await this.db
      .delete(flowUsageHour)
      .where(lt(flowUsageHour.bucketStart, olderThan))
      .returning({ d: flowUsageHour.deviceId });
    return gone.length;
  }

  /** A device's bytes per attributed name over the hours that overlap [from, to). */
  async byDomain(q: { deviceId: number; from: Date; to: Date }): Promise<DomainUsage[]> {
    const t = flowUsageHour;
    return this.db
      .select({
        domain: t.domain,
        app: t.app,
        rxBytes: sql<number>`sum(${t.rxBytes})::bigint`.mapWith(Number),
        txBytes: sql<number>`sum(${t.txBytes})::bigint`.mapWith(Number),
        flows: sql<number>`sum(${t.flows})::int`.mapWith(Number),
      })
      .from(t)
      .where(this.#range(q))
      .groupBy(t.domain, t.app);
  }

  #range(q: { deviceId: number; from: Date; to: Date }) {
    const t = flowUsageHour;
    // hour buckets: the one that contains `from` counts too (the range is hour-resolved)
    return and(
      eq(t.deviceId, q.deviceId),
      gt(t.bucketStart, new Date(q.from.getTime() - HOUR_MS)),
      lt(t.bucketStart, q.to),
    );
  }

  /** A device's top remote endpoints by bytes over the hours that overlap [from, to). */
  async topRemotes(q: { deviceId: number; from: Date; to: Date; limit: number }): Promise<RemoteUsage[]> {
    const t = flowUsageHour;
    const rx = sql<number>`sum(${t.rxBytes})::bigint`.mapWith(Number);
    const tx = sql<number>`sum(${t.txBytes})::bigint`.mapWith(Number);
    return this.db
      .select({
        remote: sql<string>`host(${t.remote})`,
        proto: t.proto,
        port: t.port,
        rxBytes: rx,
        txBytes: tx,
        flows: sql<number>`sum(${t.flows})::int`.mapWith(Number),
      })
      .from(t)
      .where(this.#range(q))
      .groupBy(t.remote, t.proto, t.port)
      .orderBy(desc(sql`sum(${t.rxBytes}) + sum(${t.txBytes})`))
      .limit(q.limit);
  }
}
