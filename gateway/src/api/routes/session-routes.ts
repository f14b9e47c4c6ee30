import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Me } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { SESSION_COOKIE, tokenOf } from '../session.js';

export const sessionRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/auth/me',
      { schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: Me } } },
      async (request) => request.user!,
    );

    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null() } } },
      async (request, reply) => {
        const token = tokenOf(request);
        if (token) await deps.auth.logout(token);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send(null);
      },
    );
  };
