/**
 * Who may call a route. Every route declares one level in its options (`config: { access }`);
 * the access hook enforces it and the OpenAPI document carries it (`x-pp-access`), so the role
 * matrix test is generated from the document and a route without a level fails at start-up.
 *
 *   public   – anyone (health, login, agent enrollment)
 *   agent    – only an enrolled agent's credential (the agent WebSocket)
 *   viewer   – any signed-in user: reads usage, devices, logs
 *   operator – parents/operators: pause devices, manage rules; not users or settings
 *   admin    – everything
 */
export type Access = 'public' | 'agent' | 'viewer' | 'operator' | 'admin';

export type UserRole = 'viewer' | 'operator' | 'admin';

export const ROLE_RANK: Record<UserRole, number> = { viewer: 1, operator: 2, admin: 3 };

/** The lower of two roles: a token never acts above its ceiling or its user. */
export function lowerRole(a: UserRole, b: UserRole): UserRole {
  return ROLE_RANK[a] <= ROLE_RANK[b] ? a : b;
}

export type Principal =
  | {
      kind: 'user';
      userId: number;
      username: string;
      /** Effective role (a token's ceiling already applied). */
      role: UserRole;
      via: 'session' | 'token';
      /** Set when via === 'token'. */
      tokenId?: number;
    }
  | { kind: 'agent'; agentId: number; deviceId: number | null };

/** One audit row as a route describes it; the actor, time and address are filled in for it. */
export interface AuditEntry {
  /** e.g. 'rule.create', 'user.disable', 'agent.revoke' */
  action: string;
  /** e.g. 'rule', 'user', 'device', 'token', 'setting', 'agent', 'enrollment' */
  targetType: string;
  targetId?: string | number | null;
  before?: unknown;
  after?: unknown;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Who is calling; null on public routes without credentials. */
    principal: Principal | null;
    /**
     * Records what this request changed. Written once the reply succeeded (2xx), in the same
     * order; a mutating route calls it exactly once.
     */
    audit(entry: AuditEntry): void;
  }
}
