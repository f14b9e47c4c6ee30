import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The session token, HttpOnly: the browser sends it, scripts cannot read it. */
export const SESSION_COOKIE = 'pp_session';
/** Readable by the UI's scripts, which echo it in CSRF_HEADER on every change. */
export const CSRF_COOKIE = 'pp_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * The CSRF token of a session: derived from the session token, so it is bound to that session (a
 * cookie planted by someone else does not match) and needs no storage. One-way: it does not
 * reveal the session token to the scripts that read it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`pp-csrf:${sessionToken}`).digest('base64url');
}

/** True when the request's x-csrf-token header is the CSRF token of `sessionToken`. */
export function csrfHeaderMatches(request: FastifyRequest, sessionToken: string): boolean {
  const header = request.headers[CSRF_HEADER];
  if (typeof header !== 'string') return false;
  const presented = Buffer.from(header);
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Where a request's credential came from; the cookie is the one that needs CSRF protection. */
export type Credential =
  | { scheme: 'bearer'; token: string }
  | { scheme: 'cookie'; token: string }
  | { scheme: 'agent'; header: string }
  | { scheme: 'unsupported' };

/**
 * `Authorization: Bearer <session or API token>`, `Authorization: Agent <id>.<secret>`, or the
 * session cookie. An Authorization header wins over the cookie. Null when there is none.
 */
export function credentialOf(request: FastifyRequest): Credential | null {
  const header = request.headers.authorization;
  if (header) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (bearer) return { scheme: 'bearer', token: bearer[1]! };
    if (/^Agent\s/i.test(header)) return { scheme: 'agent', header };
    return { scheme: 'unsupported' };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { scheme: 'cookie', token: cookie } : null;
}

/** The session token a request came with (cookie or Bearer), for logout. */
export function sessionTokenOf(request: FastifyRequest): string | null {
  const c = credentialOf(request);
  return c && (c.scheme === 'bearer' || c.scheme === 'cookie') ? c.token : null;
}

export function setSessionCookies(
  reply: FastifyReply,
  session: { token: string; expiresAt: Date },
  secure: boolean,
): string {
  const csrfToken = csrfTokenFor(session.token);
  const base = { path: '/', sameSite: 'strict', secure, expires: session.expiresAt } as const;
  reply.setCookie(SESSION_COOKIE, session.token, { ...base, httpOnly: true });
  reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false });
  return csrfToken;
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
  reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure });
}
