/**
 * The agents' tables: enrollment codes (hashed) and enrolled agents (secret hashed). The exchange
 * of a code is one transaction around a conditional UPDATE, so a code is never used more often
 * than `max_uses`, however many agents race for it.
 */
import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { AppError } from '../errors.js';
import type { Db } from '../db/open.js';
import { agentEnrollments, agents } from '../db/schema.js';
import { pgErrorCode } from '../db/errors.js';

export interface EnrollmentRecord {
  id: number;
  deviceId: number | null;
  maxUses: number;
  uses: number;
  createdBy: number | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface AgentRecord {
  id: number;
  deviceId: number | null;
  enrollmentId: number | null;
  name: string | null;
  platform: string | null;
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}

export interface NewEnrollment {
  codeHash: string;
  deviceId: number | null;
  maxUses: number;
  createdBy: number | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface Exchange {
  codeHash: string;
  at: Date;
  secretHash: string;
  name: string | null;
  platform: string;
  /** Used when the enrollment names no device. */
  fallbackDeviceId: number | null;
}

const enrollmentColumns = {
  id: agentEnrollments.id,
  deviceId: agentEnrollments.deviceId,
  maxUses: agentEnrollments.maxUses,
  uses: agentEnrollments.uses,
  createdBy: agentEnrollments.createdBy,
  createdAt: agentEnrollments.createdAt,
  expiresAt: agentEnrollments.expiresAt,
  revokedAt: agentEnrollments.revokedAt,
};

const agentColumns = {
  id: agents.id,
  deviceId: agents.deviceId,
  enrollmentId: agents.enrollmentId,
  name: agents.name,
  platform: agents.platform,
  createdAt: agents.createdAt,
  lastSeenAt: agents.lastSeenAt,
  revokedAt: agents.revokedAt,
};

/** The list shows recent codes; older ones are history nobody pages through. */
const ENROLLMENT_LIST_LIMIT = 500;

export class AgentStore {
  constructor(private readonly db: Db) {}

  async createEnrollment(e: NewEnrollment): Promise<EnrollmentRecord> {
    try {
      const [row] = await this.db.insert(agentEnrollments).values(e).returning(enrollmentColumns);
      if (!row) throw new Error('no row returned');
      return row;
    } catch (err) {
      if (pgErrorCode(err) === '23503') {
        throw new AppError('PP_E_VALIDATION', `deviceId: device ${e.deviceId} does not exist`, {
          cause: err,
        });
      }
      throw new Error(`create enrollment: ${(err as Error).message}`, { cause: err });
    }
  }

  async listEnrollments(): Promise<EnrollmentRecord[]> {
    return this.db
      .select(enrollmentColumns)
      .from(agentEnrollments)
      .orderBy(desc(agentEnrollments.id))
      .limit(ENROLLMENT_LIST_LIMIT);
  }

  async getEnrollment(id: number): Promise<EnrollmentRecord | null> {
    const [row] = await this.db
      .select(enrollmentColumns)
      .from(agentEnrollments)
      .where(eq(agentEnrollments.id, id));
    return row ?? null;
  }

  /** Sets revoked_at (kept if already set); null if there is no such enrollment. */
  async revokeEnrollment(
    id: number,
    at: Date,
  ): Promise<{ before: EnrollmentRecord; after: EnrollmentRecord } | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx
        .select(enrollmentColumns)
        .from(agentEnrollments)
        .where(eq(agentEnrollments.id, id))
        .for('update');
      if (!before) return null;
      const [after] = await tx
        .update(agentEnrollments)
        .set({ revokedAt: sql`coalesce(${agentEnrollments.revokedAt}, ${at.toISOString()}::timestamptz)` })
        .where(eq(agentEnrollments.id, id))
        .returning(enrollmentColumns);
      if (!after) throw new Error(`revoke enrollment ${id}: vanished`);
      return { before, after };
    });
  }

  /**
   * Uses the code once and creates the agent, or returns null (unknown, used up, expired, revoked).
   * The conditional UPDATE is the lock: a concurrent exchange of the same row waits for this one
   * and then re-checks `uses < max_uses` against the committed row.
   */
  async exchange(x: Exchange): Promise<{ agent: AgentRecord; enrollment: EnrollmentRecord } | null> {
    return this.db.transaction(async (tx) => {
      const [enrollment] = await tx
        .update(agentEnrollments)
        .set({ uses: sql`${agentEnrollments.uses} + 1` })
        .where(
          and(
            eq(agentEnrollments.codeHash, x.codeHash),
            lt(agentEnrollments.uses, agentEnrollments.maxUses),
            gt(agentEnrollments.expiresAt, x.at),
            isNull(agentEnrollments.revokedAt),
          ),
        )
        .returning(enrollmentColumns);
      if (!enrollment) return null;
      const [agent] = await tx
        .insert(agents)
        .values({
          secretHash: x.secretHash,
          deviceId: enrollment.deviceId ?? x.fallbackDeviceId,
          enrollmentId: enrollment.id,
          name: x.name,
          platform: x.platform,
          createdAt: x.at,
        })
        .returning(agentColumns);
      if (!agent) throw new Error('enroll agent: no row returned');
      return { agent, enrollment };
    });
  }

  async listAgents(): Promise<AgentRecord[]> {
    return this.db.select(agentColumns).from(agents).orderBy(asc(agents.id));
  }

  async getAgent(id: number): Promise<AgentRecord | null> {
    const [row] = await this.db.select(agentColumns).from(agents).where(eq(agents.id, id));
    return row ?? null;
  }

  /** What authenticating an agent needs. */
  async credential(
    id: number,
  ): Promise<{ secretHash: string; deviceId: number | null; revokedAt: Date | null } | null> {
    const [row] = await this.db
      .select({ secretHash: agents.secretHash, deviceId: agents.deviceId, revokedAt: agents.revokedAt })
      .from(agents)
      .where(eq(agents.id, id));
    return row ?? null;
  }

  /** Sets revoked_at (kept if already set); null if there is no such agent. */
  async revokeAgent(id: number, at: Date): Promise<{ before: AgentRecord; after: AgentRecord } | null> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.select(agentColumns).from(agents).where(eq(agents.id, id)).for('update');
      if (!before) return null;
      const [after] = await tx
        .update(agents)
        .set({ revokedAt: sql`coalesce(${agents.revokedAt}, ${at.toISOString()}::timestamptz)` })
        .where(eq(agents.id, id))
        .returning(agentColumns);
      if (!after) throw new Error(`revoke agent ${id}: vanished`);
      return { before, after };
    });
  }

  /** Moves last_seen_at forward (never back). */
  async touch(id: number, at: Date): Promise<void> {
    await this.db
      .update(agents)
      .set({ lastSeenAt: sql`greatest(${agents.lastSeenAt}, ${at.toISOString()}::timestamptz)` })
      .where(eq(agents.id, id));
  }
}
