import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  ErrorReply,
  Rule,
  RuleCreate,
  RuleExplainQuery,
  RuleExplanation,
  RuleList,
  RuleListQuery,
  RuleParams,
  RulePatch,
} from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { requireRole } from '../session.js';

export const ruleRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/rules',
      {
        schema: {
          tags: ['rules'],
          summary: 'Block/allow rules, oldest first; ?device= keeps the ones covering that device',
          querystring: RuleListQuery,
          response: { 200: RuleList, 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => deps.rules.list({ deviceId: request.query.device }),
    );

    app.get(
      '/rules/explain',
      {
        schema: {
          tags: ['rules'],
          summary: 'Why a device is allowed or blocked a domain: the deciding rule and every match',
          querystring: RuleExplainQuery,
          response: { 200: RuleExplanation, 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => deps.rules.explain(request.query.device, request.query.domain),
    );

    app.get(
      '/rules/:id',
      {
        schema: {
          tags: ['rules'],
          summary: 'One rule',
          params: RuleParams,
          response: { 200: Rule, 404: ErrorReply },
        },
      },
      async (request) => deps.rules.get(request.params.id),
    );

    app.post(
      '/rules',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['rules'],
          summary: 'Create a rule; in force (DNS, firewall, live flows) when this returns',
          body: RuleCreate,
          response: { 201: Rule, 400: ErrorReply, 403: ErrorReply },
        },
      },
      async (request, reply) => {
        const rule = await deps.rules.create(request.body);
        request.log.info({ rule, by: request.user?.username }, 'rule created');
        return reply.status(201).send(rule);
      },
    );

    app.patch(
      '/rules/:id',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['rules'],
          summary: 'Change any of action, target, scope, enabled, note',
          params: RuleParams,
          body: RulePatch,
          response: { 200: Rule, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const rule = await deps.rules.update(request.params.id, request.body);
        request.log.info({ rule, by: request.user?.username }, 'rule changed');
        return rule;
      },
    );

    app.delete(
      '/rules/:id',
      {
        preHandler: requireRole('admin'),
        schema: {
          tags: ['rules'],
          summary: 'Delete a rule',
          params: RuleParams,
          response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request, reply) => {
        await deps.rules.delete(request.params.id);
        request.log.info({ ruleId: request.params.id, by: request.user?.username }, 'rule deleted');
        return reply.status(204).send(null);
      },
    );
  };
