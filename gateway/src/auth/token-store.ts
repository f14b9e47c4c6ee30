/**
 * Storage for personal API tokens. Only the sha256 of a token's secret is stored; hashing and
 * checking happen in auth/tokens.ts.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { apiTokens, users } from '../db/schema.js';
import { asRole, type Role } from './roles.js';

export interface ApiTokenRecord {
  id: number;
  userId: number;
  username: string;
  name: string;
  /** The ceiling; the token acts with the lower of it and its user's role. */
  role: Role;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What checking a presented token needs: the record, the stored hash and its user's state. */
export interface TokenCredential extends ApiTokenRecord {
  secretHash: string;
  userRole: Role;
  userDisabled: boolean;
}

const columns = {
  id: apiTokens.id,
  userId: apiTokens.userId,
  username: users.username,
  name: apiTokens.name,
  role: apiTokens.role,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

export class ApiTokenStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: {
    userId: number;
    name: string;
    role: Role;
    secretHash: string;
    createdAt: Date;
    expiresAt: Date | null;
  }): Promise<ApiTokenRecord> {
    const [row] = await this.db
      .insert(apiTokens)
      .values({
        tokenHash: input.secretHash,
        userId: input.userId,
        name: input.name,
        role: input.role,
        createdAt: input.createdAt,
        expiresAt: input.expiresAt,
      })
      .returning({ id: apiTokens.id });
    if (!row) throw new Error('create API token: insert returned no row');
    const created = await this.get(row.id);
    if (!created) throw new Error(`create API token: token ${row.id} vanished`);
    return created;
  }

  async get(id: number): Promise<ApiTokenRecord | null> {
    const [row] = await this.db
      .select(columns)
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.id, id));
    return row ? asRecord(row) : null;
  }

  /** Newest first; only this user's when userId is given. */
  async list(filter: { userId?: number } = {}): Promise<ApiTokenRecord[]> {
    const rows = await this.db
      .select(columns)
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(filter.userId === undefined ? undefined : eq(apiTokens.userId, filter.userId))
      .orderBy(desc(apiTokens.id));
    return rows.map(asRecord);
  }

  async credential(id: number): Promise<TokenCredential | null> {
    const [row] = await this.db
      .select({
        ...columns,
        secretHash: apiTokens.tokenHash,
        userRole: users.role,
        userDisabled: users.disabled,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.id, id));
    return row
      ? {
          ...asRecord(row),
          secretHash: row.secretHash,
          userRole: asRole(row.userRole),
          userDisabled: row.userDisabled,
        }
      : null;
  }

  async touch(id: number, at: Date): Promise<void> {
    await this.db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
  }

  /** False when there is no such token or it was revoked already. */
  async revoke(id: number): Promise<boolean> {
    const rows = await this.db
      .update(apiTokens)
      .set({ revokedAt: this.now() })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    return rows.length > 0;
  }
}

function asRecord(row: Omit<ApiTokenRecord, 'role'> & { role: string }): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.userId,
    username: row.username,
    name: row.name,
    role: asRole(row.role),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
