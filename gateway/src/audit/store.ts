/**
 * The audit log's table: appended after each successful change made through the API, read newest
 * first. Nothing in the API changes or deletes a row.
 */
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { AuditEntry } from '@packetpilot/protocol';
import type { Db } from '../db/open.js';
import { auditLog } from '../db/schema.js';

export interface AuditActor {
  /** 'user' (a session), 'token', 'agent', 'anonymous' */
  type: string;
  id: number | null;
  name: string;
}

export interface AuditRecord {
  at: Date;
  actor: AuditActor;
  ip: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  /** Actor name (a username, or agent:<id>). */
  actor?: string;
  targetType?: string;
  from?: Date;
  to?: Date;
  /** Entries with a smaller id (paging, newest first). */
  before?: number;
  limit: number;
}

export class AuditLog {
  /** Appends still being written: a read waits for them, so it sees every change already answered. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(private readonly db: Db) {}

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const write = this.db.insert(auditLog).values(
      records.map((r) => ({
        at: r.at,
        actorType: r.actor.type,
        actorId: r.actor.id,
        actorName: r.actor.name,
        ip: r.ip,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        before: r.before ?? null,
        after: r.after ?? null,
      })),
    );
    const done = Promise.resolve(write);
    this.#inflight.add(done);
    try {
      await done;
    } finally {
      this.#inflight.delete(done);
    }
  }

  /** Resolves once every append started so far has finished (failed ones included). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
  }

  async query(f: AuditFilter): Promise<AuditEntry[]> {
    await this.settled();
    const t = auditLog;
    const where: SQL[] = [];
    if (f.actor !== undefined) where.push(eq(t.actorName, f.actor.trim().toLowerCase()));
    if (f.targetType !== undefined) where.push(eq(t.targetType, f.targetType));
    if (f.from !== undefined) where.push(gte(t.at, f.from));
    if (f.to !== undefined) where.push(lt(t.at, f.to));
    if (f.before !== undefined) where.push(lt(t.id, f.before));
    const rows = await this.db
      .select()
      .from(t)
      .where(and(...where))
      .orderBy(desc(t.id))
      .limit(f.limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      actor: { type: r.actorType, id: r.actorId, name: r.actorName },
      ip: r.ip,
      action: r.action,
      targetType: r.targetType,
      targetId: r.targetId,
      before: r.before ?? null,
      after: r.after ?? null,
    }));
  }
}
