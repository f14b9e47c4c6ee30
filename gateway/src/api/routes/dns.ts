import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DeviceParams,
  DnsQueriesQuery,
  DnsQueryList,
  DnsSettings,
  DnsSettingsPatch,
  ErrorReply,
  TopDomains,
  TopDomainsQuery,
} from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { parseRange, requireDevice } from './usage.js';

export const dnsRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const now = deps.now ?? (() => new Date());

    app.get(
      '/dns/queries',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['dns'],
          summary: 'The DNS query log, newest first: who asked what, the answer, and which rule blocked it',
          querystring: DnsQueriesQuery,
          response: { 200: DnsQueryList, 400: ErrorReply },
        },
      },
      async (request) => {
        const q = request.query;
        const limit = q.limit ?? 100;
        const queries = await deps.dnsLog.list({
          deviceId: q.device,
          text: q.q,
          blocked: q.blocked,
          before: q.before,
          limit,
        });
        return { queries, next: queries.length === limit ? queries[queries.length - 1]!.id : null };
      },
    );

    app.get(
      '/devices/:id/dns/top',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['dns'],
          summary: "A device's most asked domains over a range, with how many were blocked",
          params: DeviceParams,
          querystring: TopDomainsQuery,
          response: { 200: TopDomains, 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { from, to } = parseRange(request.query, now());
        await requireDevice(deps.devices, request.params.id);
        const domains = await deps.dnsLog.topDomains({
          deviceId: request.params.id,
          from,
          to,
          limit: request.query.limit ?? 20,
        });
        return { deviceId: request.params.id, from: from.toISOString(), to: to.toISOString(), domains };
      },
    );

    app.get(
      '/settings/dns',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['dns'],
          summary: "The resolver's settings: upstreams, block answer, query log retention",
          response: { 200: DnsSettings },
        },
      },
      async () => deps.dnsSettings.get(),
    );

    app.patch(
      '/settings/dns',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['dns'],
          summary: 'Change resolver settings; takes effect for the next query',
          body: DnsSettingsPatch,
          response: { 200: DnsSettings, 400: ErrorReply, 403: ErrorReply },
        },
      },
      async (request) => {
        const before = deps.dnsSettings.get();
        const after = await deps.dnsSettings.update(request.body);
        request.audit({ action: 'setting.update', targetType: 'setting', targetId: 'dns', before, after });
        return after;
      },
    );
  };
