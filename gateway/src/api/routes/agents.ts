import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type {} from '@fastify/websocket';
import { Type } from 'typebox';
import {
  AGENT_CLOSE,
  AgentList,
  AgentParams,
  EnrollBody,
  EnrollmentCreate,
  EnrollmentCreated,
  EnrollmentList,
  EnrollmentParams,
  EnrollReply,
  ErrorReply,
} from '@packetpilot/protocol';
import { LoginLimiter } from '../../auth/login-limiter.js';
import { AppError } from '../../errors.js';
import type { AppDeps } from '../deps.js';
import { errorBody } from '../errors.js';
import type {} from '../access.js';

const TAGS = ['agents'];
const refusals = { 401: ErrorReply, 403: ErrorReply, 503: ErrorReply };

/**
 * Agents: enrollment codes (admin), the public code exchange, the agents list, revocation, and
 * the agents' WebSocket. Each route declares its access level; the access hook enforces it.
 */
export const agentRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Failed exchanges per client address: 10 a minute, then 429 (with back-off).
    const limiter = deps.loginLimiter ?? new LoginLimiter();
    const service = () => {
      if (!deps.agents) throw new AppError('PP_E_UNAVAILABLE', 'agents are not set up on this gateway');
      return deps.agents;
    };

    app.post(
      '/agents/enrollments',
      {
        config: { access: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Create an enrollment code (shown once) with its link and QR code',
          body: EnrollmentCreate,
          response: { 201: EnrollmentCreated, 400: ErrorReply, ...refusals },
        },
      },
      async (request, reply) => {
        const created = await service().createEnrollment(request.body, {
          userId: request.principal?.kind === 'user' ? request.principal.userId : null,
          gatewayBaseUrl: deps.publicUrl ?? `${request.protocol}://${request.host}`,
        });
        const { id, deviceId, maxUses, expiresAt } = created;
        request.audit({
          action: 'enrollment.create',
          targetType: 'enrollment',
          targetId: id,
          after: { id, deviceId, maxUses, expiresAt },
        });
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/agents/enrollments',
      {
        config: { access: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Enrollment codes, newest first (never the codes themselves)',
          response: { 200: EnrollmentList, ...refusals },
        },
      },
      async () => service().listEnrollments(),
    );

    app.delete(
      '/agents/enrollments/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Revoke an enrollment code; agents enrolled with it keep working',
          params: EnrollmentParams,
          response: { 204: Type.Null(), 404: ErrorReply, ...refusals },
        },
      },
      async (request, reply) => {
        const { before, after } = await service().revokeEnrollment(request.params.id);
        request.audit({
          action: 'enrollment.revoke',
          targetType: 'enrollment',
          targetId: request.params.id,
          before,
          after,
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/agents/enroll',
      {
        config: { access: 'public' },
        schema: {
          tags: TAGS,
          summary: 'Exchange an enrollment code for an agent id and secret (once per use of the code)',
          security: [],
          body: EnrollBody,
          response: { 200: EnrollReply, 400: ErrorReply, 401: ErrorReply, 429: ErrorReply, 503: ErrorReply },
        },
      },
      async (request, reply) => {
        const agents = service();
        const address = clientAddress(request.ip);
        const keys = [`enroll:${address}`];
        const waitMs = limiter.retryAfterMs(keys);
        if (waitMs > 0) return tooMany(reply, waitMs);
        try {
          const addressDeviceId = (await deps.deviceForAddress?.(address)) ?? null;
          const enrolled = await agents.enroll(request.body, { addressDeviceId });
          request.log.info(
            { agentId: enrolled.agent.id, deviceId: enrolled.agent.deviceId },
            'agent enrolled',
          );
          request.audit({
            action: 'agent.enroll',
            targetType: 'agent',
            targetId: enrolled.agent.id,
            after: enrolled.agent,
          });
          return enrolled.reply;
        } catch (err) {
          if (err instanceof AppError && err.code === 'PP_E_UNAUTHORIZED') {
            limiter.fail(keys);
            request.log.info({ ip: address }, 'enrollment code refused');
          }
          throw err;
        }
      },
    );

    app.get(
      '/agents',
      {
        config: { access: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Enrolled agents, with whether each is connected now',
          response: { 200: AgentList, ...refusals },
        },
      },
      async () => service().list(),
    );

    app.delete(
      '/agents/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Revoke an agent: its secret stops working and its WebSocket closes (4401) at once',
          params: AgentParams,
          response: { 204: Type.Null(), 404: ErrorReply, ...refusals },
        },
      },
      async (request, reply) => {
        const { before, after } = await service().revoke(request.params.id);
        request.audit({
          action: 'agent.revoke',
          targetType: 'agent',
          targetId: request.params.id,
          before,
          after,
        });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/agent',
      {
        websocket: true,
        config: { access: 'agent' },
        // The access hook refuses other callers; this makes the socket's owner certain.
        preHandler: agentOnly(deps),
        onResponse: closeRefusedUpgrade,
        schema: {
          tags: TAGS,
          summary:
            'WebSocket for agents (Authorization: Agent <id>.<secret>); messages in protocol/src/agents.ts',
        },
      },
      (socket, request) => {
        const principal = request.principal;
        if (!deps.agentHub || principal?.kind !== 'agent') {
          socket.close(AGENT_CLOSE.revoked, 'agent credential required');
          return;
        }
        deps.agentHub.attach(socket, { agentId: principal.agentId, deviceId: principal.deviceId });
      },
    );
  };

function agentOnly(deps: AppDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!deps.agentHub) {
      return reply.status(503).send(errorBody('PP_E_UNAVAILABLE', 'agents are not set up on this gateway'));
    }
    if (request.principal?.kind !== 'agent') {
      return reply
        .status(401)
        .send(errorBody('PP_E_UNAUTHORIZED', 'this socket is for enrolled agents only'));
    }
  };
}

/**
 * An upgrade answered with a plain HTTP reply (401/403/503) leaves the socket half-open: after the
 * upgrade Node's HTTP server no longer ends it, and @fastify/websocket's own clean-up only runs if
 * its onRequest hook ran before the refusal. A revoked agent retrying forever would pile up sockets
 * (and keep `app.close()` waiting), so the route ends them itself.
 */
function closeRefusedUpgrade(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.headers.upgrade?.toLowerCase() === 'websocket') request.raw.socket.destroy();
  done();
}

function tooMany(reply: FastifyReply, waitMs: number) {
  const seconds = Math.ceil(waitMs / 1000);
  return reply
    .status(429)
    .header('retry-after', String(seconds))
    .send(errorBody('PP_E_RATE_LIMITED', `too many failed enrollment attempts; try again in ${seconds} s`));
}

/** `::ffff:192.168.1.5` (an IPv4 client on a dual-stack socket) → `192.168.1.5`. */
function clientAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
