/**
 * What each role may do in the UI, mirroring the gateway's access levels (viewer < operator <
 * admin). The UI only hides what a role cannot use; the gateway is what enforces it.
 */
import type { Role } from '@packetpilot/protocol';

export type Level = Role | 'viewer' | 'operator' | 'admin';

const RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3 };

export function allows(role: string | null | undefined, level: Level): boolean {
  if (!role) return false;
  return (RANK[role] ?? 0) >= (RANK[level] ?? Number.POSITIVE_INFINITY);
}
