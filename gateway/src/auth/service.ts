import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '@packetpilot/protocol';
import { DUMMY_HASH_PROMISE, checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.js';
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
  create(u: { username: string; passwordHash: string; role: string }): Promise<UserRecord>;
  findByUsername(username: string): Promise<UserRecord | null>;
  get(id: number): Promise<UserRecord | null>;
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

function asRole(role: string): Role {
  if (role === 'admin' || role === 'viewer') return role;
  throw new AppError('PP_E_INTERNAL', `unknown role in database: ${role}`);
}

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class AuthService {
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
    const user = await this.users.create({
      username: name,
      passwordHash: await hashPassword(password),
      role,
    });
    return { id: user.id, username: user.username, role: asRole(user.role) };
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
}
