import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from './deps.js';
import { registerErrorHandling } from './errors.js';
import { requireSession } from './session.js';
import { publicRoutes } from './routes/public.js';
import { sessionRoutes } from './routes/session-routes.js';
import { deviceRoutes } from './routes/devices.js';
import { usageRoutes } from './routes/usage.js';
import { liveRoutes } from './routes/live.js';
import { ruleRoutes } from './routes/rules.js';
import { catalogRoutes } from './routes/catalog.js';
import { dnsRoutes } from './routes/dns.js';

export const API_PREFIX = '/api/v1';
export const API_VERSION = '0.1.0';

/**
 * The composition root of the HTTP layer. Public routes (health, login) live in a sibling
 * context without the auth hook; everything else is registered inside the authenticated one,
 * so a new route is protected by default.
 */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.log.child({ module: 'api' }) as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // Request lines would drown the log on a box polled every second; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Unknown fields in a body are an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // Client addresses are the socket peers; a TLS proxy in front would have to be trusted explicitly.
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('user', null);
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Packet Pilot gateway API',
        version: API_VERSION,
        description: 'Devices, usage and live rates of the Packet Pilot gateway.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'pp_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  registerErrorHandling(app);

  await app.register(
    async (api) => {
      await api.register(publicRoutes(deps));
      await api.register(async (authed) => {
        requireSession(authed, deps.auth);
        // Behind the session like everything else; docs/openapi.json is the public copy.
        authed.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
        await authed.register(sessionRoutes(deps));
        await authed.register(deviceRoutes(deps));
        await authed.register(usageRoutes(deps));
        await authed.register(liveRoutes(deps));
        await authed.register(ruleRoutes(deps));
        await authed.register(catalogRoutes(deps));
        await authed.register(dnsRoutes(deps));
      });
    },
    { prefix: API_PREFIX },
  );
  return app;
}
