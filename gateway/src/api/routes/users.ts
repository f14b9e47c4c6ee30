import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorReply, User, UserCreate, UserList, UserParams, UserPatch } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';

/** User management: admins only. Replies and audit rows never carry password hashes. */
export const userRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/users',
      {
        config: { access: 'admin' },
        schema: { tags: ['users'], summary: 'Every user, by username', response: { 200: UserList } },
      },
      async () => deps.users.list(),
    );

    app.post(
      '/users',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'Create a user with a role (viewer, operator or admin)',
          body: UserCreate,
          response: { 201: User, 400: ErrorReply, 409: ErrorReply },
        },
      },
      async (request, reply) => {
        const user = await deps.users.create(request.body);
        request.audit({
          action: 'user.create',
          targetType: 'user',
          targetId: user.id,
          before: null,
          after: user,
        });
        return reply.status(201).send(user);
      },
    );

    app.get(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'One user',
          params: UserParams,
          response: { 200: User, 404: ErrorReply },
        },
      },
      async (request) => deps.users.get(request.params.id),
    );

    app.patch(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary:
            "Change a user's role, disable or enable them, or reset their password; disabling or a reset " +
            'ends their sessions at once. The last enabled admin cannot be disabled or demoted (409)',
          params: UserParams,
          body: UserPatch,
          response: { 200: User, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
        },
      },
      async (request) => {
        const { before, after, passwordReset } = await deps.users.update(request.params.id, request.body);
        request.audit({
          action: 'user.update',
          targetType: 'user',
          targetId: after.id,
          before,
          after: passwordReset ? { ...after, passwordReset: true } : after,
        });
        return after;
      },
    );

    app.delete(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'Delete a user with their sessions and tokens; not the last enabled admin (409)',
          params: UserParams,
          response: { 204: Type.Null(), 404: ErrorReply, 409: ErrorReply },
        },
      },
      async (request, reply) => {
        const before = await deps.users.delete(request.params.id);
        request.audit({
          action: 'user.delete',
          targetType: 'user',
          targetId: before.id,
          before,
          after: null,
        });
        return reply.status(204).send(null);
      },
    );
  };
