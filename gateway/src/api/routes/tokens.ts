import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ApiToken,
  ApiTokenCreate,
  ApiTokenCreated,
  ApiTokenList,
  ApiTokenListQuery,
  ApiTokenParams,
  ErrorReply,
} from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { userOf } from '../access-control.js';
import { AppError } from '../../errors.js';
import type { ApiTokenRecord } from '../../auth/token-store.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toWireToken(t: ApiTokenRecord): ApiToken {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    userId: t.userId,
    username: t.username,
    createdAt: t.createdAt.toISOString(),
    expiresAt: iso(t.expiresAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
  };
}

/** Personal API tokens: every user manages their own; admins may list and revoke anyone's. */
export const tokenRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tokens',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['tokens'],
          summary: "Your API tokens, newest first (admins: ?all=true for everyone's)",
          querystring: ApiTokenListQuery,
          response: { 200: ApiTokenList, 403: ErrorReply },
        },
      },
      async (request) => {
        const me = userOf(request);
        if (request.query.all && me.role !== 'admin') {
          throw new AppError('PP_E_FORBIDDEN', "listing everyone's tokens needs the admin role");
        }
        const tokens = await deps.tokens.list(request.query.all ? {} : { userId: me.userId });
        return tokens.map(toWireToken);
      },
    );

    app.post(
      '/tokens',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token (shown once) with a role up to your own and an optional expiry',
          body: ApiTokenCreate,
          response: { 201: ApiTokenCreated, 400: ErrorReply },
        },
      },
      async (request, reply) => {
        const me = userOf(request);
        const { token, record } = await deps.tokens.create(
          { userId: me.userId, role: me.role },
          request.body,
        );
        const created = toWireToken(record);
        // The secret stays out of the audit log.
        request.audit({
          action: 'token.create',
          targetType: 'token',
          targetId: record.id,
          before: null,
          after: created,
        });
        return reply.status(201).send({
          token,
          id: created.id,
          name: created.name,
          role: created.role,
          expiresAt: created.expiresAt,
          createdAt: created.createdAt,
        });
      },
    );

    app.delete(
      '/tokens/:id',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['tokens'],
          summary: "Revoke a token of yours (admins: anyone's); it stops working at once",
          params: ApiTokenParams,
          response: { 204: Type.Null(), 404: ErrorReply, 409: ErrorReply },
        },
      },
      async (request, reply) => {
        const me = userOf(request);
        const before = await deps.tokens.revoke(request.params.id, { userId: me.userId, role: me.role });
        request.audit({
          action: 'token.revoke',
          targetType: 'token',
          targetId: before.id,
          before: toWireToken(before),
          after: null,
        });
        return reply.status(204).send(null);
      },
    );
  };
