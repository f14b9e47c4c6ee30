import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { ErrorReply, LoginBody, LoginReply, Me, PasswordChange, SetupBody } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { userOf } from '../access-control.js';
import { errorBody } from '../errors.js';
import { clearSessionCookies, sessionTokenOf, setSessionCookies } from '../session.js';
import { LoginLimiter, ipKey, userKey } from '../../auth/login-limiter.js';
import { AppError } from '../../errors.js';

function tooManyAttempts(reply: FastifyReply, waitMs: number) {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return reply
    .header('retry-after', String(seconds))
    .status(429)
    .send(errorBody('PP_E_RATE_LIMITED', `too many failed attempts; try again in ${seconds} s`));
}

/** Log in and out, who am I, change my password, and the one-time setup of the first admin. */
export const authRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limiter = deps.loginLimiter ?? new LoginLimiter();
    const secure = deps.secureCookies ?? deps.tls !== undefined;

    app.post(
      '/auth/login',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary:
            'Log in: sets the session and CSRF cookies and returns a Bearer token for the same session; ' +
            '10 failed attempts a minute per address or username lock them out for a while (429)',
          security: [],
          body: LoginBody,
          response: { 200: LoginReply, 401: ErrorReply, 429: ErrorReply },
        },
      },
      async (request, reply) => {
        const { username, password } = request.body;
        const keys = [ipKey(request.ip), userKey(username)];
        const wait = limiter.retryAfterMs(keys);
        if (wait > 0) return tooManyAttempts(reply, wait);
        const result = await deps.auth.login(username, password, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        });
        if (!result) {
          limiter.fail(keys);
          request.log.info({ username, ip: request.ip }, 'login failed');
          return reply.status(401).send(errorBody('PP_E_UNAUTHORIZED', 'wrong username or password'));
        }
        // Only the username's count: one valid account must not buy an address more guesses.
        limiter.succeed([userKey(username)]);
        const { user } = result;
        const csrfToken = setSessionCookies(reply, result, secure);
        request.principal = {
          kind: 'user',
          userId: user.id,
          username: user.username,
          role: user.role,
          via: 'session',
        };
        request.audit({ action: 'session.login', targetType: 'user', targetId: user.id });
        return { token: result.token, csrfToken, expiresAt: result.expiresAt.toISOString(), user };
      },
    );

    app.post(
      '/auth/setup',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary:
            'Create the first admin with the one-time setup token the daemon printed (only while no user ' +
            'exists; 409 afterwards)',
          security: [],
          body: SetupBody,
          response: { 201: Me, 400: ErrorReply, 401: ErrorReply, 409: ErrorReply, 429: ErrorReply },
        },
      },
      async (request, reply) => {
        const keys = [ipKey(request.ip)];
        const wait = limiter.retryAfterMs(keys);
        if (wait > 0) return tooManyAttempts(reply, wait);
        const { token, username, password } = request.body;
        let user;
        try {
          user = await deps.auth.setup(token, username, password);
        } catch (err) {
          if (err instanceof AppError && err.code === 'PP_E_UNAUTHORIZED') limiter.fail(keys);
          throw err;
        }
        request.log.warn(
          { username: user.username, ip: request.ip },
          'first admin created with the setup token',
        );
        // The holder of the setup token is, from now on, this admin: the audit row says so.
        request.principal = {
          kind: 'user',
          userId: user.id,
          username: user.username,
          role: user.role,
          via: 'session',
        };
        request.audit({
          action: 'user.setup',
          targetType: 'user',
          targetId: user.id,
          before: null,
          after: user,
        });
        return reply.status(201).send(user);
      },
    );

    app.get(
      '/auth/me',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'The logged-in user (with a token: its effective role)',
          response: { 200: Me },
        },
      },
      async (request) => {
        const me = userOf(request);
        return { id: me.userId, username: me.username, role: me.role };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: 'viewer' },
        schema: { tags: ['auth'], summary: 'End this session', response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const me = userOf(request);
        const token = me.via === 'session' ? sessionTokenOf(request) : null;
        if (token) await deps.auth.logout(token);
        clearSessionCookies(reply, secure);
        request.audit({ action: 'session.logout', targetType: 'user', targetId: me.userId });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password; ends your other sessions (this one stays)',
          body: PasswordChange,
          response: { 204: Type.Null(), 400: ErrorReply, 403: ErrorReply, 429: ErrorReply },
        },
      },
      async (request, reply) => {
        const me = userOf(request);
        const keys = [ipKey(request.ip), userKey(me.username)];
        const wait = limiter.retryAfterMs(keys);
        if (wait > 0) return tooManyAttempts(reply, wait);
        const keep = me.via === 'session' ? (sessionTokenOf(request) ?? undefined) : undefined;
        if (!(await deps.auth.changePassword(me.userId, request.body.current, request.body.new, keep))) {
          limiter.fail(keys);
          throw new AppError('PP_E_FORBIDDEN', 'the current password is wrong');
        }
        request.audit({ action: 'user.password_change', targetType: 'user', targetId: me.userId });
        return reply.status(204).send(null);
      },
    );
  };
