import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorReply, Health, LoginBody, LoginReply } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { errorBody } from '../errors.js';
import { SESSION_COOKIE } from '../session.js';

/** Routes that work without a session: health and login. */
export const publicRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['health'],
          summary: 'Gateway health and active warnings',
          security: [],
          response: { 200: Health },
        },
      },
      async () => deps.health(),
    );

    app.post(
      '/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Log in: sets the session cookie and returns a Bearer token for the same session',
          security: [],
          body: LoginBody,
          response: { 200: LoginReply, 401: ErrorReply },
        },
      },
      async (request, reply) => {
        const result = await deps.auth.login(request.body.username, request.body.password, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        });
        if (!result) {
          request.log.info({ username: request.body.username, ip: request.ip }, 'login failed');
          return reply.status(401).send(errorBody('PP_E_UNAUTHORIZED', 'wrong username or password'));
        }
        reply.setCookie(SESSION_COOKIE, result.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: deps.secureCookies ?? false,
          expires: result.expiresAt,
        });
        return { token: result.token, expiresAt: result.expiresAt.toISOString(), user: result.user };
      },
    );
  };
