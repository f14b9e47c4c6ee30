import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditList, AuditQuery, ErrorReply } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { AppError } from '../../errors.js';

/** Read-only: no route changes or deletes an audit row. */
export const auditRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/audit',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'Who changed what, when and from where (before/after), newest first',
          querystring: AuditQuery,
          response: { 200: AuditList, 400: ErrorReply },
        },
      },
      async (request) => {
        const q = request.query;
        const from = q.from === undefined ? undefined : new Date(q.from);
        const to = q.to === undefined ? undefined : new Date(q.to);
        if (from && to && from >= to) throw new AppError('PP_E_VALIDATION', 'from must be before to');
        const limit = q.limit ?? 100;
        const entries = await deps.audit.query({
          actor: q.actor,
          targetType: q.type,
          from,
          to,
          before: q.before,
          limit,
        });
        return { entries, next: entries.length === limit ? entries[entries.length - 1]!.id : null };
      },
    );
  };
