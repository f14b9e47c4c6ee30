import type { Role } from '@packetpilot/protocol';
import { ROLE_RANK, lowerRole } from '../api/access.js';
import { AppError } from '../errors.js';

export type { Role };
export { ROLE_RANK, lowerRole };

export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A role read back from the database; anything else is a bug or a hand-edited row. */
export function asRole(role: string): Role {
  if (isRole(role)) return role;
  throw new AppError('PP_E_INTERNAL', `unknown role in database: ${role}`);
}

/** True when `role` may do what `needed` may (admin ≥ operator ≥ viewer). */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}
