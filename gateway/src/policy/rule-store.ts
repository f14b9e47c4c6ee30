/**
 * Admin rules in the `rules` table. Targets are stored flat (target_type, target_value) and scope
 * as a nullable device id (null = all devices); this store turns them into the API's shapes.
 * Hit counters are written in batches (addHits), without touching updated_at.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { RuleAction, RuleScope, RuleTarget } from '@packetpilot/protocol';
import type { Db } from '../db/open.js';
import { rules } from '../db/schema.js';
import { AppError } from '../errors.js';
import { pgErrorCode } from '../db/errors.js';

export interface RuleRecord {
  id: number;
  action: RuleAction;
  target: RuleTarget;
  scope: RuleScope;
  enabled: boolean;
  note: string | null;
  hits: number;
  lastHitAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewRule {
  action: RuleAction;
  target: RuleTarget;
  scope: RuleScope;
  enabled?: boolean;
  note?: string | null;
}

export type RuleChanges = Partial<Pick<RuleRecord, 'action' | 'target' | 'scope' | 'enabled' | 'note'>>;

export interface RuleHits {
  count: number;
  lastAt: Date;
}

type RuleRow = typeof rules.$inferSelect;

/** Rows per UPDATE in addHits (3 parameters each, far below PostgreSQL's 65 535). */
const HITS_CHUNK = 1000;

export class RuleStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Oldest first. */
  async list(): Promise<RuleRecord[]> {
    const rows = await this.db.select().from(rules).orderBy(asc(rules.id));
    return rows.map(toRecord);
  }

  async get(id: number): Promise<RuleRecord | null> {
    const [row] = await this.db.select().from(rules).where(eq(rules.id, id));
    return row ? toRecord(row) : null;
  }

  async create(rule: NewRule): Promise<RuleRecord> {
    const at = this.now();
    const [row] = await this.#write('create rule', () =>
      this.db
        .insert(rules)
        .values({
          action: rule.action,
          ...targetColumns(rule.target),
          scopeDeviceId: rule.scope.type === 'device' ? rule.scope.id : null,
          enabled: rule.enabled ?? true,
          note: rule.note ?? null,
          createdAt: at,
          updatedAt: at,
        })
        .returning(),
    );
    if (!row) throw new Error('create rule: no row returned');
    return toRecord(row);
  }

  /** null when there is no such rule. */
  async update(id: number, changes: RuleChanges): Promise<RuleRecord | null> {
    const [row] = await this.#write(`update rule ${id}`, () =>
      this.db
        .update(rules)
        .set({
          ...(changes.action !== undefined && { action: changes.action }),
          ...(changes.target !== undefined && targetColumns(changes.target)),
          ...(changes.scope !== undefined && {
            scopeDeviceId: changes.scope.type === 'device' ? changes.scope.id : null,
          }),
          ...(changes.enabled !== undefined && { enabled: changes.enabled }),
          ...(changes.note !== undefined && { note: changes.note }),
          updatedAt: this.now(),
        })
        .where(eq(rules.id, id))
        .returning(),
    );
    return row ? toRecord(row) : null;
  }

  /** The deleted rule, or null when there was none. */
  async delete(id: number): Promise<RuleRecord | null> {
    const [row] = await this.db.delete(rules).where(eq(rules.id, id)).returning();
    return row ? toRecord(row) : null;
  }

  /**
   * Adds hit counts in one UPDATE per 1000 rules; last_hit_at only moves forward. Rules deleted
   * meanwhile are skipped. Returns how many rules were updated.
   */
  async addHits(hits: ReadonlyMap<number, RuleHits>): Promise<number> {
    const entries = [...hits].filter(([, h]) => h.count > 0);
    let updated = 0;
    for (let i = 0; i < entries.length; i += HITS_CHUNK) {
      const values = entries
        .slice(i, i + HITS_CHUNK)
        .map(
          ([id, h]) =>
            sql`(${id}::integer, ${Math.round(h.count)}::bigint, ${h.lastAt.toISOString()}::timestamptz)`,
        );
      const result = await this.db.execute<{ id: number }>(sql`
        update ${rules} set
          hits = ${rules.hits} + v.count,
          last_hit_at = greatest(${rules.lastHitAt}, v.last_at)
        from (values ${sql.join(values, sql`, `)}) as v(id, count, last_at)
        where ${rules.id} = v.id
        returning ${rules.id}`);
      updated += result.rows.length;
    }
    return updated;
  }

  /** Maps a missing scope device (foreign key) to a validation error. */
  async #write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (pgErrorCode(err) === '23503') {
        throw new AppError('PP_E_VALIDATION', 'scope: that device does not exist', { cause: err });
      }
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function targetColumns(target: RuleTarget): { targetType: RuleTarget['type']; targetValue: string | null } {
  switch (target.type) {
    case 'internet':
      return { targetType: 'internet', targetValue: null };
    case 'service':
    case 'category':
      return { targetType: target.type, targetValue: target.id };
    case 'domain':
      return { targetType: 'domain', targetValue: target.value };
    case 'app':
      return { targetType: 'app', targetValue: target.name };
  }
}

function toTarget(row: RuleRow): RuleTarget {
  const value = row.targetValue ?? '';
  switch (row.targetType) {
    case 'internet':
      return { type: 'internet' };
    case 'service':
      return { type: 'service', id: value };
    case 'category':
      return { type: 'category', id: value };
    case 'domain':
      return { type: 'domain', value };
    case 'app':
      return { type: 'app', name: value };
    default:
      throw new Error(`rule ${row.id}: unknown target type ${row.targetType}`);
  }
}

function toRecord(row: RuleRow): RuleRecord {
  return {
    id: row.id,
    action: row.action === 'allow' ? 'allow' : 'block',
    target: toTarget(row),
    scope: row.scopeDeviceId === null ? { type: 'all' } : { type: 'device', id: row.scopeDeviceId },
    enabled: row.enabled,
    note: row.note,
    // int8 in mode 'number'; raw SQL paths may still hand back a string.
    hits: Number(row.hits),
    lastHitAt: row.lastHitAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The SQLSTATE of a driver error, looking through Drizzle's wrapping. */
