/**
 * `request.audit(entry)`: routes describe what they changed; the entries are kept with the request
 * and written once the reply has gone out with a 2xx status, with who (request.principal), from
 * where (request.ip) and when. A failed request leaves no row.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEntry, Principal } from '../api/access.js';
import type { Logger } from '../log.js';
import type { AuditActor, AuditLog } from './store.js';

export function actorOf(principal: Principal | null): AuditActor {
  if (!principal) return { type: 'anonymous', id: null, name: 'anonymous' };
  if (principal.kind === 'agent') {
    return { type: 'agent', id: principal.agentId, name: `agent:${principal.agentId}` };
  }
  return principal.via === 'token'
    ? { type: 'token', id: principal.tokenId ?? null, name: principal.username }
    : { type: 'user', id: principal.userId, name: principal.username };
}

export function registerAuditTrail(
  app: FastifyInstance,
  deps: { store: Pick<AuditLog, 'append'>; log: Logger; now?: () => Date },
): void {
  const now = deps.now ?? (() => new Date());
  const pending = new WeakMap<FastifyRequest, AuditEntry[]>();

  app.decorateRequest('audit', function (this: FastifyRequest, entry: AuditEntry) {
    const list = pending.get(this);
    if (list) list.push(entry);
    else pending.set(this, [entry]);
  });

  app.addHook('onResponse', async (request, reply) => {
    const entries = pending.get(request);
    if (!entries) return;
    pending.delete(request);
    if (reply.statusCode < 200 || reply.statusCode >= 300) return;
    const at = now();
    const actor = actorOf(request.principal);
    try {
      await deps.store.append(
        entries.map((e) => ({
          at,
          actor,
          ip: request.ip,
          action: e.action,
          targetType: e.targetType,
          targetId: e.targetId === undefined || e.targetId === null ? null : String(e.targetId),
          before: e.before ?? null,
          after: e.after ?? null,
        })),
      );
    } catch (err) {
      deps.log.error({ err, entries: entries.map((e) => e.action) }, 'audit: writing the log failed');
    }
  });
}
