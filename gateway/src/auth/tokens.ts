/**
 * Personal API tokens: `ppt_<id>_<secret>`. The prefix makes a leaked token recognisable (secret
 * scanners, logs); the id finds the row, and the secret's sha256 is compared in constant time.
 * A token acts with the lower of its role and its user's current role, and stops working when it
 * expires, is revoked or its user is disabled or deleted — checked on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../api/access.js';
import { AppError } from '../errors.js';
import { lowerRole, roleAtLeast, type Role } from './roles.js';
import type { ApiTokenRecord, ApiTokenStore } from './token-store.js';

export const API_TOKEN_PREFIX = 'ppt_';
const TOKEN_RE = /^ppt_([1-9][0-9]{0,9})_([A-Za-z0-9_-]{43})$/;
/** Writing last_used_at on every request would turn each API read into a write. */
const TOUCH_INTERVAL_MS = 60_000;
const DAY_MS = 86_400_000;

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The caller as far as tokens care: who, and with which (effective) role. */
export interface TokenOwner {
  userId: number;
  role: Role;
}

export function isApiToken(credential: string): boolean {
  return credential.startsWith(API_TOKEN_PREFIX);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export class TokenService {
  constructor(
    private readonly store: Pick<
      ApiTokenStore,
      'create' | 'get' | 'list' | 'credential' | 'touch' | 'revoke'
    >,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new token for the caller; its role may not exceed the caller's. The secret is returned once. */
  async create(
    owner: TokenOwner,
    input: { name: string; role: Role; expiresInDays?: number },
  ): Promise<{ token: string; record: ApiTokenRecord }> {
    const name = input.name.trim();
    if (!name) throw new AppError('PP_E_VALIDATION', 'name: must not be blank');
    if (!roleAtLeast(owner.role, input.role)) {
      throw new AppError(
        'PP_E_VALIDATION',
        `role: a token cannot have more rights than you (${owner.role}); asked for ${input.role}`,
      );
    }
    // One clock reading, so a token of N days expires exactly N days after its creation.
    const createdAt = this.now();
    const expiresAt =
      input.expiresInDays === undefined ? null : new Date(createdAt.getTime() + input.expiresInDays * DAY_MS);
    return this.issue(owner.userId, { name, role: input.role, createdAt, expiresAt });
  }

  /** Stores a token as given, without the ceiling check of create (the CLI and tests). */
  async issue(
    userId: number,
    t: { name: string; role: Role; expiresAt: Date | null; createdAt?: Date },
  ): Promise<{ token: string; record: ApiTokenRecord }> {
    const secret = randomBytes(32).toString('base64url');
    const record = await this.store.create({
      userId,
      name: t.name,
      role: t.role,
      createdAt: t.createdAt ?? this.now(),
      expiresAt: t.expiresAt,
      secretHash: sha256(secret).toString('hex'),
    });
    return { token: `${API_TOKEN_PREFIX}${record.id}_${secret}`, record };
  }

  /** The principal behind a presented token, or null: malformed, unknown, wrong secret, expired, revoked, user disabled. */
  async authenticate(token: string): Promise<UserPrincipal | null> {
    const match = TOKEN_RE.exec(token);
    if (!match) return null;
    const id = Number(match[1]);
    const presented = sha256(match[2]!);
    const stored = await this.store.credential(id);
    const expected = stored ? Buffer.from(stored.secretHash, 'hex') : Buffer.alloc(presented.length);
    const matches = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (!stored || !matches) return null;
    const at = this.now();
    if (stored.revokedAt !== null || stored.userDisabled) return null;
    if (stored.expiresAt !== null && stored.expiresAt.getTime() <= at.getTime()) return null;
    if (stored.lastUsedAt === null || at.getTime() - stored.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.store.touch(id, at);
    }
    return {
      kind: 'user',
      userId: stored.userId,
      username: stored.username,
      role: lowerRole(stored.role, stored.userRole),
      via: 'token',
      tokenId: id,
    };
  }

  /** Everyone's (admins) or one user's tokens, newest first, revoked and expired ones included. */
  async list(filter: { userId?: number } = {}): Promise<ApiTokenRecord[]> {
    return this.store.list(filter);
  }

  /**
   * Revokes a token of the caller's own, or anyone's for an admin. Returns the token as it was.
   * Another user's token is "not found" to a non-admin: ids of others' tokens are not disclosed.
   */
  async revoke(id: number, by: TokenOwner): Promise<ApiTokenRecord> {
    const token = await this.store.get(id);
    if (!token || (token.userId !== by.userId && by.role !== 'admin')) {
      throw new AppError('PP_E_NOT_FOUND', `token ${id} not found`);
    }
    if (token.revokedAt !== null || !(await this.store.revoke(id))) {
      throw new AppError('PP_E_CONFLICT', `token ${id} is revoked already`);
    }
    return token;
  }
}
