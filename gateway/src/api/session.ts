import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthenticatedUser, AuthService } from '../auth/service.js';
import { errorBody } from './errors.js';

export const SESSION_COOKIE = 'pp_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
  }
}

/** The session token from `Authorization: Bearer` or, for the UI, the HttpOnly cookie. */
export function tokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match ? match[1]! : null;
  }
  return request.cookies[SESSION_COOKIE] ?? null;
}

/** Adds the auth hook to this encapsulation context: every route registered in it needs a session. */
export function requireSession(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = tokenOf(request);
    const user = token ? await auth.authenticate(token) : null;
    if (!user) {
      return reply
        .status(401)
        .send(errorBody('PP_E_UNAUTHORIZED', 'log in first: session cookie or Bearer token required'));
    }
    request.user = user;
  });
}

export function requireRole(role: 'admin') {
  return async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    if (request.user?.role !== role) {
      return reply.status(403).send(errorBody('PP_E_FORBIDDEN', `this needs the ${role} role`));
    }
  };
}
