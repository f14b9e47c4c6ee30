/**
 * Enforces the access model of access.ts for every route, in one onRequest hook on the root:
 *
 *   1. LAN only: with `allowedLocalAddresses`, a request that arrived on any other local address
 *      (the WAN side) is refused before anything else.
 *   2. The route's level (config.access): public passes; otherwise the credential — session cookie,
 *      `Authorization: Bearer <session or API token>`, or `Authorization: Agent <id>.<secret>` — is
 *      resolved to request.principal and checked: 401 without a (live) credential, 403 when the
 *      principal is of the wrong kind or its role is too low.
 *   3. CSRF: a change (POST/PUT/PATCH/DELETE) authenticated by the session cookie needs the
 *      x-csrf-token header; Bearer and Agent credentials cannot be sent by another site, so need none.
 *
 * An onRoute hook collects routes registered without a level, and `ready()` fails naming them:
 * nothing is left unclassified.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access, Principal } from './access.js';
import { ROLE_RANK } from './access.js';
import type { AppDeps } from './deps.js';
import { credentialOf, csrfHeaderMatches, CSRF_HEADER, type Credential } from './session.js';
import { AppError } from '../errors.js';
import { isApiToken } from '../auth/tokens.js';

export const ACCESS_LEVELS: readonly Access[] = ['public', 'agent', 'viewer', 'operator', 'admin'];
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isAccess(value: unknown): value is Access {
  return typeof value === 'string' && (ACCESS_LEVELS as readonly string[]).includes(value);
}

/** `::ffff:192.168.1.1` → `192.168.1.1`; `fe80::1%lan0` → `fe80::1`. */
export function normalizeAddress(address: string): string {
  return address
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
    .replace(/%.*$/, '')
    .toLowerCase();
}

type AccessDeps = Pick<AppDeps, 'auth' | 'tokens' | 'agentAuth' | 'allowedLocalAddresses'>;

export function registerAccessControl(app: FastifyInstance, deps: AccessDeps): void {
  app.decorateRequest('principal', null);

  const unclassified: string[] = [];
  app.addHook('onRoute', (route) => {
    if (!isAccess(route.config?.access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      unclassified.push(`${methods} ${route.url}`);
    }
  });
  app.addHook('onReady', async () => {
    if (unclassified.length > 0) {
      throw new Error(
        `routes without config.access (one of ${ACCESS_LEVELS.join(', ')}): ${unclassified.join('; ')}`,
      );
    }
  });

  const resolve = principalResolver(deps);
  const allowed = deps.allowedLocalAddresses && new Set(deps.allowedLocalAddresses.map(normalizeAddress));

  app.addHook('onRequest', async (request) => {
    if (allowed && !allowed.has(normalizeAddress(request.socket.localAddress ?? ''))) {
      throw new AppError('PP_E_FORBIDDEN', 'the admin API is only served on the LAN');
    }
    const access = request.routeOptions.config.access;
    // No route (404) or a public one: nothing to check, no credential looked up.
    if (access === undefined || access === 'public') return;

    const credential = credentialOf(request);
    if (!credential) {
      throw new AppError(
        'PP_E_UNAUTHORIZED',
        access === 'agent'
          ? 'an agent credential is required (Authorization: Agent <id>.<secret>)'
          : 'log in first: session cookie or Bearer token required',
      );
    }
    const principal = await resolve(credential);
    if (!principal) {
      throw new AppError('PP_E_UNAUTHORIZED', 'the credential is invalid, expired or revoked; log in again');
    }
    request.principal = principal;
    checkLevel(access, principal);
    if (
      credential.scheme === 'cookie' &&
      MUTATING.has(request.method) &&
      !csrfHeaderMatches(request, credential.token)
    ) {
      throw new AppError(
        'PP_E_CSRF',
        `changes made with the session cookie need the ${CSRF_HEADER} header (the pp_csrf cookie's value)`,
      );
    }
  });
}

function checkLevel(access: Exclude<Access, 'public'>, principal: Principal): void {
  if (access === 'agent') {
    if (principal.kind !== 'agent')
      throw new AppError('PP_E_FORBIDDEN', 'only an enrolled agent may call this');
    return;
  }
  if (principal.kind !== 'user') throw new AppError('PP_E_FORBIDDEN', 'agents may not call this');
  if (ROLE_RANK[principal.role] < ROLE_RANK[access]) {
    throw new AppError('PP_E_FORBIDDEN', `this needs the ${access} role`);
  }
}

/** The signed-in user of a route of level viewer or above (the hook has checked it). */
export function userOf(request: FastifyRequest): Extract<Principal, { kind: 'user' }> {
  const p = request.principal;
  if (p?.kind !== 'user') throw new AppError('PP_E_UNAUTHORIZED', 'log in first');
  return p;
}

/**
 * Who a credential belongs to right now: null when it is unknown, expired or revoked, or its user
 * is disabled. Long-lived sockets ask again while they stay open (a session can end under them).
 */
export function principalResolver(
  deps: Pick<AppDeps, 'auth' | 'tokens' | 'agentAuth'>,
): (credential: Credential) => Promise<Principal | null> {
  return async (credential) => {
    if (credential.scheme === 'unsupported') return null;
    if (credential.scheme === 'agent') {
      const agent = await deps.agentAuth?.authenticate(credential.header);
      return agent ? { kind: 'agent', agentId: agent.agentId, deviceId: agent.deviceId } : null;
    }
    if (credential.scheme === 'bearer' && isApiToken(credential.token)) {
      return deps.tokens.authenticate(credential.token);
    }
    // A session token, from the cookie or as a Bearer.
    const user = await deps.auth.authenticate(credential.token);
    return (
      user && { kind: 'user', userId: user.id, username: user.username, role: user.role, via: 'session' }
    );
  };
}
