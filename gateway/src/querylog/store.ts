import { and, desc, eq, gte, ilike, isNotNull, isNull, lt, sql, type SQL } from 'drizzle-orm';
import type { DnsQuery } from '@packetpilot/protocol';
import type { Db } from '../db/open.js';
import { dnsQueries } from '../db/schema.js';
import type { DnsQueryRecord } from '../dns/types.js';

const CHUNK = 1000;
/** Answers are stored comma-separated; a handful is enough to say what the device was told. */
const MAX_ANSWERS = 4;

export interface QueryFilter {
  deviceId?: number;
  /** Substring of the name. */
  text?: string;
  blocked?: boolean;
  /** Entries with a smaller id (paging, newest first). */
  before?: number;
  limit: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The DNS query log's table: appended in batches, read newest first, pruned by age. */
export class QueryLogStore {
  constructor(private readonly db: Db) {}

  async append(records: readonly DnsQueryRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += CHUNK) {
      await this.db.insert(dnsQueries).values(
        records.slice(i, i + CHUNK).map((r) => ({
          at: new Date(r.at),
          deviceId: r.deviceId,
          client: r.client,
          name: r.name,
          qtype: r.qtype,
          rcode: r.rcode,
          answer: r.answers.slice(0, MAX_ANSWERS).join(','),
          ruleId: r.decision.ruleId,
          blockReason: r.decision.action === 'block' ? r.decision.reason : null,
          latencyUs: Math.min(Math.round(r.latencyUs), 2 ** 31 - 1),
          cached: r.cached,
        })),
      );
    }
  }

  async list(f: QueryFilter): Promise<DnsQuery[]> {
    const t = dnsQueries;
    const where: SQL[] = [];
    if (f.deviceId !== undefined) where.push(eq(t.deviceId, f.deviceId));
    if (f.text) where.push(ilike(t.name, `%${escapeLike(f.text.toLowerCase())}%`));
    if (f.blocked === true) where.push(isNotNull(t.blockReason));
    if (f.blocked === false) where.push(isNull(t.blockReason));
    if (f.before !== undefined) where.push(lt(t.id, f.before));
    const rows = await this.db
      .select({
        id: t.id,
        at: t.at,
        deviceId: t.deviceId,
        client: sql<string>`host(${t.client})`,
        name: t.name,
        qtype: t.qtype,
        rcode: t.rcode,
        answer: t.answer,
        ruleId: t.ruleId,
        blockReason: t.blockReason,
        latencyUs: t.latencyUs,
        cached: t.cached,
      })
      .from(t)
      .where(and(...where))
      .orderBy(desc(t.id))
      .limit(f.limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      deviceId: r.deviceId,
      client: r.client,
      name: r.name,
      type: r.qtype,
      rcode: r.rcode,
      answer: r.answer ? r.answer.split(',') : [],
      blocked: r.blockReason !== null,
      ruleId: r.ruleId,
      blockReason: r.blockReason as DnsQuery['blockReason'],
      latencyMs: r.latencyUs / 1000,
      cached: r.cached,
    }));
  }

  async topDomains(q: {
    deviceId: number;
    from: Date;
    to: Date;
    limit: number;
  }): Promise<Array<{ name: string; queries: number; blocked: number }>> {
    const t = dnsQueries;
    const count = sql<number>`count(*)::int`.mapWith(Number);
    return this.db
      .select({
        name: t.name,
        queries: count,
        blocked: sql<number>`count(${t.blockReason})::int`.mapWith(Number),
      })
      .from(t)
      .where(and(eq(t.deviceId, q.deviceId), gte(t.at, q.from), lt(t.at, q.to)))
      .groupBy(t.name)
      .orderBy(desc(count), t.name)
      .limit(q.limit);
  }

  async prune(olderThan: Date): Promise<number> {
    const gone = await this.db
      .delete(dnsQueries)
      .where(lt(dnsQueries.at, olderThan))
      .returning({ id: dnsQueries.id });
    return gone.length;
  }
}
