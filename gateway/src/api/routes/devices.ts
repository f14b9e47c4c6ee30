import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Device, DeviceList, DeviceParams, DevicePatch, ErrorReply } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { AppError } from '../../errors.js';

export const deviceRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/devices',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['devices'],
          summary: 'All devices ever seen, with all-time byte totals',
          response: { 200: DeviceList },
        },
      },
      async () => deps.devices.list(),
    );

    app.get(
      '/devices/:id',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['devices'],
          summary: 'One device',
          params: DeviceParams,
          response: { 200: Device, 404: ErrorReply },
        },
      },
      async (request) => {
        const device = await deps.devices.get(request.params.id);
        if (!device) throw new AppError('PP_E_NOT_FOUND', `device ${request.params.id} not found`);
        return device;
      },
    );

    app.patch(
      '/devices/:id',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['devices'],
          summary: 'Rename a device or change its bypass prevention / QUIC blocking',
          params: DeviceParams,
          body: DevicePatch,
          response: { 200: Device, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const { name, ...flags } = request.body;
        const patch = name === undefined ? flags : { ...flags, name: name?.trim() || null };
        const before = await deps.devices.get(request.params.id);
        const device = before && (await deps.devices.update(request.params.id, patch));
        if (!device) throw new AppError('PP_E_NOT_FOUND', `device ${request.params.id} not found`);
        request.audit({
          action: 'device.update',
          targetType: 'device',
          targetId: device.id,
          before,
          after: device,
        });
        return device;
      },
    );
  };
