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

  /**
   * One statement per chunk, each column as one array parameter (`unnest`): under a DNS flood the
   * log writes ~2 000 rows a second on the daemon's own thread, and building a 2 000-row VALUES
   * list through the ORM cost ~10x more than the database's own work.
   */
  async append(records: readonly DnsQueryRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += CHUNK) {
      const rows = records.slice(i, i + CHUNK);
      const col = <T>(f: (r: DnsQueryRecord) => T) => sql.param(rows.map(f));
      await this.db.execute(sql`
        insert into dns_queries
          (at, device_id, client, name, qtype, rcode, answer, rule_id, block_reason, latency_us, cached)
        select * from unnest(
          ${col((r) => new Date(r.at).toISOString())}::timestamptz[],
          ${col((r) => r.deviceId)}::integer[],
          ${col((r) => r.client)}::inet[],
          ${col((r) => r.name)}::text[],
          ${col((r) => r.qtype)}::text[],
          ${col((r) => r.rcode)}::text[],
          ${col((r) => r.answers.slice(0, MAX_ANSWERS).join(','))}::text[],
          ${col((r) => r.decision.ruleId)}::integer[],
          ${col((r) => (r.decision.action === 'block' ? r.decision.reason : null))}::text[],
          ${col((r) => Math.min(Math.round(r.latencyUs), 2 ** 31 - 1))}::integer[],
          ${col((r) => r.cached)}::boolean[]
        )`);
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
