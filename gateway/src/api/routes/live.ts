import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type {} from '@fastify/websocket';
import type { AppDeps } from '../deps.js';

export const liveRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/live',
      {
        websocket: true,
        config: { access: 'viewer' },
        schema: {
          tags: ['live'],
          summary: 'WebSocket: per-device rx/tx rates every second (LiveRates frames)',
        },
      },
      (socket) => {
        const unsubscribe = deps.live.subscribe((frame) => {
          // a slow client is dropped rather than buffered without bound
          if (socket.bufferedAmount > 1_000_000) {
            socket.close(1013, 'client too slow');
            return;
          }
          socket.send(JSON.stringify(frame));
        });
        socket.on('close', unsubscribe);
        socket.on('error', unsubscribe);
        socket.on('message', () => {
          /* the live feed is one-way; client messages are ignored */
        });
      },
    );
  };
