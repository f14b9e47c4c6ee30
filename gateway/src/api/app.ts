import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import { AGENT_MAX_FRAME_BYTES } from '@packetpilot/protocol';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from './deps.js';
import { registerErrorHandling } from './errors.js';
import { registerAccessControl } from './access-control.js';
import { registerAuditTrail } from '../audit/request-audit.js';
import { healthRoutes } from './routes/health.js';
import { authRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { tokenRoutes } from './routes/tokens.js';
import { auditRoutes } from './routes/audit.js';
import { deviceRoutes } from './routes/devices.js';
import { usageRoutes } from './routes/usage.js';
import { liveRoutes } from './routes/live.js';
import { ruleRoutes } from './routes/rules.js';
import { catalogRoutes } from './routes/catalog.js';
import { dnsRoutes } from './routes/dns.js';
import { agentRoutes } from './routes/agents.js';
import { DEFAULT_UI_DIR, registerUi } from './ui-static.js';

export const API_PREFIX = '/api/v1';
export const API_VERSION = '0.1.0';

/**
 * The composition root of the HTTP layer. Every route declares who may call it
 * (`config: { access }`, see access.ts); one hook on the root enforces it (access-control.ts),
 * and a route without a level makes `ready()` fail. Changes are recorded with `request.audit()`.
 */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export async function buildApp(deps: AppDeps): Promise<App> {
  const tls = deps.tls;
  const app = Fastify({
    loggerInstance: deps.log.child({ module: 'api' }) as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // Request lines would drown the log on a box polled every second; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Unknown fields in a body are an error, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    // Client addresses are the socket peers; a TLS proxy in front would have to be trusted explicitly.
    trustProxy: false,
    // HTTPS through a server factory keeps the app's type (and every route's) the same as over HTTP.
    ...(tls && {
      serverFactory: ((handler: (req: IncomingMessage, res: ServerResponse) => void) =>
        createHttpsServer({ cert: tls.cert, key: tls.key }, handler)) as unknown as FastifyServerFactory,
    }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Cookies are parsed by an onRequest hook too, so before the access check's.
  await app.register(cookie);
  // Before the access hook: @fastify/websocket's own onRequest hook must see an upgrade first, or
  // a refused upgrade leaves its socket half-open (and app.close() waiting on it).
  // The agent socket's limit; the live feed's client frames are far smaller.
  await app.register(websocket, { options: { maxPayload: AGENT_MAX_FRAME_BYTES } });
  registerAccessControl(app, deps);
  registerAuditTrail(app, { store: deps.audit, log: deps.log.child({ module: 'audit' }), now: deps.now });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Packet Pilot gateway API',
        version: API_VERSION,
        description:
          'Devices, usage and live rates of the Packet Pilot gateway. Each operation says who may ' +
          'call it in x-pp-access: public, agent, viewer, operator or admin (each role includes the ones before it).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'pp_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // The route's access level goes into its operation (x-* keys of a schema are copied there).
    transform: ({ schema, url, route }) => {
      const access = route.config?.access;
      return {
        schema: {
          ...schema,
          ...(access === 'public' && schema?.security === undefined && { security: [] }),
          'x-pp-access': access,
        },
        url,
      };
    },
  });
  registerErrorHandling(app);

  await app.register(
    async (api) => {
      await api.register(healthRoutes(deps));
      await api.register(authRoutes(deps));
      // docs/openapi.json is the public copy.
      api.get('/openapi.json', { config: { access: 'viewer' }, schema: { hide: true } }, async () =>
        app.swagger(),
      );
      await api.register(userRoutes(deps));
      await api.register(tokenRoutes(deps));
      await api.register(auditRoutes(deps));
      await api.register(deviceRoutes(deps));
      await api.register(usageRoutes(deps));
      await api.register(liveRoutes(deps));
      await api.register(ruleRoutes(deps));
      await api.register(catalogRoutes(deps));
      await api.register(dnsRoutes(deps));
      await api.register(agentRoutes(deps));
    },
    { prefix: API_PREFIX },
  );
  // The admin UI at / (ui-static.ts), beside the API; skipped when ui/dist was not built.
  await registerUi(app, deps.uiDir ?? DEFAULT_UI_DIR);
  return app;
}
