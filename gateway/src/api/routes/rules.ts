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

export const ruleRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/rules',
      {
        config: { access: 'viewer' },
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
        config: { access: 'viewer' },
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
        config: { access: 'viewer' },
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
        config: { access: 'operator' },
        schema: {
          tags: ['rules'],
          summary: 'Create a rule; in force (DNS, firewall, live flows) when this returns',
          body: RuleCreate,
          response: { 201: Rule, 400: ErrorReply, 403: ErrorReply },
        },
      },
      async (request, reply) => {
        const rule = await deps.rules.create(request.body);
        request.audit({
          action: 'rule.create',
          targetType: 'rule',
          targetId: rule.id,
          before: null,
          after: rule,
        });
        return reply.status(201).send(rule);
      },
    );

    app.patch(
      '/rules/:id',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['rules'],
          summary: 'Change any of action, target, scope, enabled, note',
          params: RuleParams,
          body: RulePatch,
          response: { 200: Rule, 400: ErrorReply, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const before = await deps.rules.get(request.params.id);
        const rule = await deps.rules.update(request.params.id, request.body);
        request.audit({ action: 'rule.update', targetType: 'rule', targetId: rule.id, before, after: rule });
        return rule;
      },
    );

    app.delete(
      '/rules/:id',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['rules'],
          summary: 'Delete a rule',
          params: RuleParams,
          response: { 204: Type.Null(), 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request, reply) => {
        const before = await deps.rules.get(request.params.id);
        await deps.rules.delete(request.params.id);
        request.audit({
          action: 'rule.delete',
          targetType: 'rule',
          targetId: before.id,
          before,
          after: null,
        });
        return reply.status(204).send(null);
      },
    );
  };
