import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Device, DeviceList, DeviceParams, DevicePatch, ErrorReply } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';
import { AppError } from '../../errors.js';
import { requireRole } from '../session.js';

export const deviceRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/devices',
      {
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
        preHandler: requireRole('admin'),
        schema: {
          tags: ['devices'],
          summary: 'Rename a device',
          params: DeviceParams,
          body: DevicePatch,
          response: { 200: Device, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request) => {
        const device = await deps.devices.rename(request.params.id, request.body.name?.trim() || null);
        if (!device) throw new AppError('PP_E_NOT_FOUND', `device ${request.params.id} not found`);
        request.log.info(
          { deviceId: device.id, name: device.name, by: request.user?.username },
          'device renamed',
        );
        return device;
      },
    );
  };
