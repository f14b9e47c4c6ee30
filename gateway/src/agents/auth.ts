/**
 * Agent credentials: `Authorization: Agent <agentId>.<secret>`. Checked against the database on
 * every call, so a revoked agent is refused from the moment it is revoked.
 */
import type { Principal } from '../api/access.js';
import { AGENT_SECRET_RE, secretMatches } from './codes.js';
import type { AgentStore } from './store.js';

export type AgentPrincipal = Extract<Principal, { kind: 'agent' }>;

const CREDENTIAL_RE = /^(?:Agent\s+)?([1-9][0-9]{0,9})\.(\S+)$/i;

/** The `Authorization` header value for an agent credential. */
export function agentAuthorization(agentId: number, secret: string): string {
  return `Agent ${agentId}.${secret}`;
}

export class AgentAuth {
  constructor(private readonly store: Pick<AgentStore, 'credential'>) {}

  /**
   * The agent behind an `Authorization` header value (`Agent <id>.<secret>`, or the bare
   * `<id>.<secret>`), or null: malformed, unknown agent, wrong secret, revoked.
   */
  async authenticate(authorization: string | undefined | null): Promise<AgentPrincipal | null> {
    const match = CREDENTIAL_RE.exec(authorization?.trim() ?? '');
    if (!match) return null;
    const agentId = Number(match[1]);
    const secret = match[2]!;
    if (!Number.isSafeInteger(agentId) || agentId > 2_147_483_647 || !AGENT_SECRET_RE.test(secret))
      return null;
    const stored = await this.store.credential(agentId);
    if (!stored || stored.revokedAt !== null) return null;
    if (!secretMatches(secret, stored.secretHash)) return null;
    return { kind: 'agent', agentId, deviceId: stored.deviceId };
  }
}
