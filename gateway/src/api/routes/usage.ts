import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  UsageBreakdown,
  DeviceParams,
  ErrorReply,
  RemoteList,
  RemotesQuery,
  SummaryQuery,
  UsageQuery,
  UsageSeries,
  UsageSummary,
} from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { AppError } from '../../errors.js';

const DAY_MS = 86_400_000;
/** Per-bucket limit on points so one request cannot ask for years of minutes. */
const MAX_POINTS = 50_000;
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS } as const;

/** 404 unless the device exists: per-device reads answer "no such device", not an empty result. */
export async function requireDevice(devices: AppDeps['devices'], id: number): Promise<void> {
  if (!(await devices.exists(id))) throw new AppError('PP_E_NOT_FOUND', `device ${id} not found`);
}

export function parseRange(q: { from?: string; to?: string }, now: Date): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : now;
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS);
  if (Number.isNaN(from.getTime())) throw new AppError('PP_E_VALIDATION', `from: not a date: ${q.from}`);
  if (Number.isNaN(to.getTime())) throw new AppError('PP_E_VALIDATION', `to: not a date: ${q.to}`);
  if (from >= to) throw new AppError('PP_E_VALIDATION', 'from must be before to');
  return { from, to };
}

export const usageRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const now = deps.now ?? (() => new Date());

    app.get(
      '/devices/:id/usage',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['usage'],
          summary: "A device's usage over time, or broken down by service, category or domain (groupBy)",
          params: DeviceParams,
          querystring: UsageQuery,
          response: { 200: Type.Union([UsageSeries, UsageBreakdown]), 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { from, to } = parseRange(request.query, now());
        const { groupBy, app } = request.query;
        if (app !== undefined && (groupBy === undefined || groupBy === 'app')) {
          throw new AppError('PP_E_VALIDATION', 'app: only with groupBy=service, category or domain');
        }
        if (groupBy) {
          await requireDevice(deps.devices, request.params.id);
          return deps.breakdowns.breakdown({
            deviceId: request.params.id,
            from,
            to,
            groupBy,
            ...(app === undefined ? {} : { app }),
          });
        }
        const bucket = request.query.bucket ?? 'hour';
        if ((to.getTime() - from.getTime()) / BUCKET_MS[bucket] > MAX_POINTS) {
          throw new AppError('PP_E_VALIDATION', `range too long for bucket=${bucket}; use a larger bucket`);
        }
        await requireDevice(deps.devices, request.params.id);
        return deps.usage.series({ deviceId: request.params.id, from, to, bucket });
      },
    );

    app.get(
      '/usage/summary',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['usage'],
          summary: 'Top devices by bytes over a range, plus unattributed, gateway and LAN buckets',
          querystring: SummaryQuery,
          response: { 200: UsageSummary, 400: ErrorReply },
        },
      },
      async (request) => {
        const { from, to } = parseRange(request.query, now());
        return deps.usage.summary({ from, to, limit: request.query.limit ?? 10 });
      },
    );

    app.get(
      '/devices/:id/remotes',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['usage'],
          summary: "A device's top remote endpoints by bytes (per-flow accounting from conntrack)",
          params: DeviceParams,
          querystring: RemotesQuery,
          response: { 200: RemoteList, 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { from, to } = parseRange(request.query, now());
        await requireDevice(deps.devices, request.params.id);
        const remotes = await deps.remotes.topRemotes({
          deviceId: request.params.id,
          from,
          to,
          limit: request.query.limit ?? 50,
        });
        return { deviceId: request.params.id, from: from.toISOString(), to: to.toISOString(), remotes };
      },
    );
  };
