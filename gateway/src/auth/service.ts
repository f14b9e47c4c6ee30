import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DUMMY_HASH_PROMISE, checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
import { asRole, type Role } from './roles.js';
import { UsernameTakenError } from './store.js';
import { AppError } from '../errors.js';

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  role: string;
  disabled: boolean;
}

/** What auth needs from storage; the Drizzle-backed stores in auth/store.ts satisfy it. */
export interface UserRepo {
  create(u: { username: string; passwordHash: string; role: Role }): Promise<UserRecord>;
  findByUsername(username: string): Promise<UserRecord | null>;
  get(id: number): Promise<UserRecord | null>;
  setPassword(id: number, passwordHash: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface SessionRepo {
  create(
    userId: number,
    tokenHash: string,
    ttlMs: number,
    meta?: { ip?: string; userAgent?: string },
  ): Promise<unknown>;
  findValid(tokenHash: string): Promise<{ userId: number; expiresAt: Date } | null>;
  delete(tokenHash: string): Promise<unknown>;
  /** Every session of the user, or all but the one whose hash is `except`. */
  deleteForUser(userId: number, except?: string): Promise<number>;
}

export interface AuthenticatedUser {
  id: number;
  username: string;
  role: Role;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Passwords and sessions: log in and out, check a session, create users, change passwords, and
 * the one-time setup token that creates the first admin of an empty database.
 */
export class AuthService {
  /** sha256 of the setup token while setup is possible; null once it is done (or never needed). */
  #setupHash: Buffer | null = null;

  constructor(
    private readonly users: UserRepo,
    private readonly sessions: SessionRepo,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async createUser(username: string, password: string, role: Role): Promise<AuthenticatedUser> {
    const name = username.trim().toLowerCase();
    if (!USERNAME_RE.test(name)) {
      throw new AppError(
        'PP_E_VALIDATION',
        'username: 1-64 of a-z 0-9 . _ - starting with a letter or digit',
      );
    }
    const policy = checkPasswordPolicy(password);
    if (policy) throw new AppError('PP_E_VALIDATION', policy);
    if (await this.users.findByUsername(name))
      throw new AppError('PP_E_CONFLICT', `user ${name} already exists`);
    try {
      const user = await this.users.create({
        username: name,
        passwordHash: await hashPassword(password),
        role,
      });
      return { id: user.id, username: user.username, role: asRole(user.role) };
    } catch (err) {
      if (err instanceof UsernameTakenError)
        throw new AppError('PP_E_CONFLICT', `user ${name} already exists`);
      throw err;
    }
  }

  /**
   * Returns null for every failure (unknown user, wrong password, disabled) so the reply can stay
   * generic; the dummy hash keeps the time of "no such user" close to "wrong password".
   */
  async login(
    username: string,
    password: string,
    meta: { ip?: string; userAgent?: string } = {},
  ): Promise<{ token: string; expiresAt: Date; user: AuthenticatedUser } | null> {
    const user = await this.users.findByUsername(username.trim().toLowerCase());
    const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH_PROMISE));
    if (!user || !ok || user.disabled) return null;
    const token = randomBytes(32).toString('base64url');
    await this.sessions.create(user.id, hashToken(token), SESSION_TTL_MS, meta);
    return {
      token,
      expiresAt: new Date(this.now().getTime() + SESSION_TTL_MS),
      user: { id: user.id, username: user.username, role: asRole(user.role) },
    };
  }

  /** The user of a live session; null when unknown, expired, or the user is disabled or gone. */
  async authenticate(token: string): Promise<AuthenticatedUser | null> {
    if (token.length < 20 || token.length > 200) return null;
    const session = await this.sessions.findValid(hashToken(token));
    if (!session) return null;
    const user = await this.users.get(session.userId);
    if (!user || user.disabled) return null;
    return { id: user.id, username: user.username, role: asRole(user.role) };
  }

  async logout(token: string): Promise<void> {
    await this.sessions.delete(hashToken(token));
  }

  /** Ends every session of the user at once (disable, delete, password reset). */
  async endSessions(userId: number): Promise<number> {
    return this.sessions.deleteForUser(userId);
  }

  /**
   * A user changing their own password: false when `current` is wrong. Their other sessions end;
   * `keepSession` (the session token the change came through, if any) stays logged in.
   */
  async changePassword(
    userId: number,
    current: string,
    next: string,
    keepSession?: string,
  ): Promise<boolean> {
    const user = await this.users.get(userId);
    const ok = await verifyPassword(current, user?.passwordHash ?? (await DUMMY_HASH_PROMISE));
    if (!user || !ok) return false;
    const policy = checkPasswordPolicy(next);
    if (policy) throw new AppError('PP_E_VALIDATION', `new: ${policy}`);
    await this.users.setPassword(userId, await hashPassword(next));
    await this.sessions.deleteForUser(userId, keepSession === undefined ? undefined : hashToken(keepSession));
    return true;
  }

  /** An admin setting someone's password: all of that user's sessions end. */
  async resetPassword(userId: number, password: string): Promise<void> {
    const policy = checkPasswordPolicy(password);
    if (policy) throw new AppError('PP_E_VALIDATION', `password: ${policy}`);
    if (!(await this.users.setPassword(userId, await hashPassword(password)))) {
      throw new AppError('PP_E_NOT_FOUND', `user ${userId} not found`);
    }
    await this.sessions.deleteForUser(userId);
  }

  /**
   * When the database has no user yet, makes the one-time setup token (the daemon prints it) that
   * `setup` exchanges for the first admin. Returns null when there are users already.
   */
  async prepareSetup(): Promise<string | null> {
    if ((await this.users.count()) > 0) {
      this.#setupHash = null;
      return null;
    }
    const token = randomBytes(24).toString('base64url');
    this.#setupHash = createHash('sha256').update(token).digest();
    return token;
  }

  /** True while the setup token can still be used. */
  get setupPending(): boolean {
    return this.#setupHash !== null;
  }

  /**
   * Creates the first admin with the setup token: once. PP_E_CONFLICT when setup is done (or was
   * never offered), PP_E_UNAUTHORIZED for a wrong token.
   */
  async setup(token: string, username: string, password: string): Promise<AuthenticatedUser> {
    const expected = this.#setupHash;
    if (expected === null) throw new AppError('PP_E_CONFLICT', 'setup is done: log in instead');
    const presented = createHash('sha256').update(token).digest();
    if (!timingSafeEqual(presented, expected)) {
      throw new AppError('PP_E_UNAUTHORIZED', 'wrong setup token');
    }
    // Taken before the first await: a concurrent second request finds setup done.
    this.#setupHash = null;
    try {
      // An admin created from the CLI meanwhile ends setup too.
      if ((await this.users.count()) > 0)
        throw new AppError('PP_E_CONFLICT', 'setup is done: log in instead');
      return await this.createUser(username, password, 'admin');
    } catch (err) {
      // A bad username or password leaves the token usable for a corrected request.
      if (err instanceof AppError && err.code === 'PP_E_VALIDATION') this.#setupHash = expected;
      throw err;
    }
  }
}
