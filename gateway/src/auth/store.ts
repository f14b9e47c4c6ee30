/**
 * Storage for users and sessions. No hashing here: the auth module hashes passwords (scrypt) and
 * session tokens (sha256) and hands over only the results.
 */
import type { Role } from '@packetpilot/protocol';
import { and, asc, count, eq, gt, lte, ne } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { sessions, users } from '../db/schema.js';

export type { Role };

/** Includes the hash: the API layer decides what leaves the process, storage does not. */
export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Session {
  /** sha256 hex of the token. */
  id: string;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** Usernames are case-insensitive: stored and looked up lowercase. */
export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFC').toLowerCase();
}

const userColumns = {
  id: users.id,
  username: users.username,
  passwordHash: users.passwordHash,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export class UserStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Throws UsernameTakenError when the (normalised) name exists. */
  async create(input: { username: string; passwordHash: string; role: Role }): Promise<UserRecord> {
    const username = normalizeUsername(input.username);
    const at = this.now();
    const [row] = await this.db
      .insert(users)
      .values({ username, passwordHash: input.passwordHash, role: input.role, createdAt: at, updatedAt: at })
      .onConflictDoNothing({ target: users.username })
      .returning(userColumns);
    if (!row) throw new UsernameTakenError(username);
    return asUser(row);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const [row] = await this.db
      .select(userColumns)
      .from(users)
      .where(eq(users.username, normalizeUsername(username)));
    return row ? asUser(row) : null;
  }

  async get(id: number): Promise<UserRecord | null> {
    const [row] = await this.db.select(userColumns).from(users).where(eq(users.id, id));
    return row ? asUser(row) : null;
  }

  /** Returns false when there is no such user. */
  async setPassword(id: number, passwordHash: string): Promise<boolean> {
    return this.#update(id, { passwordHash });
  }

  async setDisabled(id: number, disabled: boolean): Promise<boolean> {
    return this.#update(id, { disabled });
  }

  async setRole(id: number, role: Role): Promise<boolean> {
    return this.#update(id, { role });
  }

  /** Its sessions and API tokens go with it (foreign keys cascade). Returns false when there is none. */
  async delete(id: number): Promise<boolean> {
    const rows = await this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return rows.length > 0;
  }

  /** By username. */
  async list(): Promise<UserRecord[]> {
    const rows = await this.db.select(userColumns).from(users).orderBy(asc(users.username));
    return rows.map(asUser);
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(users);
    return row?.n ?? 0;
  }

  /** Admins who can log in: the last one must stay. */
  async countEnabledAdmins(): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false)));
    return row?.n ?? 0;
  }

  async #update(
    id: number,
    set: { passwordHash?: string; disabled?: boolean; role?: Role },
  ): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ ...set, updatedAt: this.now() })
      .where(eq(users.id, id))
      .returning({ id: users.id });
    return rows.length > 0;
  }
}

export class UsernameTakenError extends Error {
  readonly code = 'PP_E_USERNAME_TAKEN';
  constructor(username: string) {
    super(`username ${JSON.stringify(username)} is taken`);
    this.name = 'UsernameTakenError';
  }
}

/** Writing last_used_at on every request would turn each API read into a write. */
const TOUCH_INTERVAL_MS = 60_000;

export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(
    userId: number,
    tokenHash: string,
    ttlMs: number,
    meta: { userAgent?: string | null; ip?: string | null } = {},
  ): Promise<Session> {
    const at = this.now();
    const [row] = await this.db
      .insert(sessions)
      .values({
        id: tokenHash,
        userId,
        createdAt: at,
        lastUsedAt: at,
        expiresAt: new Date(at.getTime() + ttlMs),
        userAgent: meta.userAgent ?? null,
        ip: meta.ip ?? null,
      })
      .returning();
    if (!row) throw new Error('create session: insert returned no row');
    return row;
  }

  /** The session with its user, when it has not expired and the user is not disabled. */
  async findValid(tokenHash: string): Promise<(Session & { user: UserRecord }) | null> {
    const at = this.now();
    const [row] = await this.db
      .select({ session: sessions, user: userColumns })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, tokenHash), gt(sessions.expiresAt, at), eq(users.disabled, false)));
    if (!row) return null;
    if (at.getTime() - row.session.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.db.update(sessions).set({ lastUsedAt: at }).where(eq(sessions.id, tokenHash));
      row.session.lastUsedAt = at;
    }
    return { ...row.session, user: asUser(row.user) };
  }

  async delete(tokenHash: string): Promise<boolean> {
    const rows = await this.db
      .delete(sessions)
      .where(eq(sessions.id, tokenHash))
      .returning({ id: sessions.id });
    return rows.length > 0;
  }

  /**
   * Logs a user out everywhere (disable, password reset), or everywhere but `except` (the session
   * that changed its own password). Returns how many sessions went.
   */
  async deleteForUser(userId: number, except?: string): Promise<number> {
    const rows = await this.db
      .delete(sessions)
      .where(
        except === undefined
          ? eq(sessions.userId, userId)
          : and(eq(sessions.userId, userId), ne(sessions.id, except)),
      )
      .returning({ id: sessions.id });
    return rows.length;
  }

  async pruneExpired(): Promise<number> {
    const rows = await this.db
      .delete(sessions)
      .where(lte(sessions.expiresAt, this.now()))
      .returning({ id: sessions.id });
    return rows.length;
  }
}

function asUser(row: Omit<UserRecord, 'role'> & { role: string }): UserRecord {
  return { ...row, role: row.role as Role };
}
