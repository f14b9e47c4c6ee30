import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type {} from '@fastify/websocket';
import { LIVE_CLOSE } from '@packetpilot/protocol';
import { principalResolver } from '../access-control.js';
import type { AppDeps } from '../deps.js';
import { credentialOf } from '../session.js';

export const liveRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const resolve = principalResolver(deps);
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
      (socket, request) => {
        // The access hook let this socket in; a logout, expiry, disabled user or revoked token
        // later must end it too, so its credential is asked about again with every frame.
        const credential = credentialOf(request);
        let checking = false;
        const recheck = () => {
          if (checking || !credential) return;
          checking = true;
          resolve(credential).then(
            (principal) => {
              checking = false;
              if (!principal) socket.close(LIVE_CLOSE.sessionEnded, 'session ended');
            },
            (err: unknown) => {
              // storage trouble is not proof the session ended: keep the feed, ask again next frame
              checking = false;
              request.log.warn({ err }, 'live: could not recheck the session');
            },
          );
        };
        const unsubscribe = deps.live.subscribe((frame) => {
          if (socket.readyState !== socket.OPEN) return;
          recheck();
          // a slow client is dropped rather than buffered without bound
          if (socket.bufferedAmount > 1_000_000) {
            socket.close(LIVE_CLOSE.tooSlow, 'client too slow');
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
