/**
 * The whole HTTP app on a test database, every dependency real (devices, usage, rules, catalogue,
 * DNS log and settings, users, sessions, tokens, audit), for route tests with `app.inject()`:
 *
 *   forEachDatabase('x', (target) => {
 *     test('…', async () => {
 *       const t = await buildTestApp(await target.open());
 *       const { user, session } = await t.signIn('operator');
 *       await t.app.inject({ method: 'PATCH', url: '/api/v1/rules/1', headers: session.bearer, payload: {…} });
 *       await t.close();
 *     });
 *   });
 *
 * Sessions and tokens are made directly (no login request, no audit row), so a test counting
 * audit rows sees only what it did itself. Agents: `agentCredential()` is accepted by the
 * built-in stand-in for the agents module unless `options.agentAuth` replaces it.
 */
import { pino } from 'pino';
import type { Rule } from '@packetpilot/protocol';
import { buildApp, type App } from './app.js';
import type { AgentAuthenticator, AppDeps } from './deps.js';
import { SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER, csrfTokenFor } from './session.js';
import type { Database } from '../db/open.js';
import { AuthService } from '../auth/service.js';
import { SessionStore, UserStore } from '../auth/store.js';
import { ApiTokenStore } from '../auth/token-store.js';
import { TokenService } from '../auth/tokens.js';
import { UserService } from '../auth/users.js';
import { LoginLimiter, type LoginLimiterOptions } from '../auth/login-limiter.js';
import type { Role } from '../auth/roles.js';
import { AuditLog } from '../audit/store.js';
import { DeviceStore } from '../db/device-store.js';
import { DeviceService } from '../discovery/service.js';
import { UsageStore } from '../usage/store.js';
import { UsageQueries } from '../usage/queries.js';
import { UsageBreakdowns } from '../usage/breakdown.js';
import { FlowStore } from '../usage/flow-store.js';
import { LiveFeed } from '../usage/live.js';
import { QueryLogStore } from '../querylog/store.js';
import { DnsSettingsService } from '../settings/dns-settings.js';
import { SettingsStore } from '../settings/store.js';
import { Catalog } from '../classify/catalog.js';
import { PolicyEngine } from '../policy/engine.js';
import { RuleService } from '../policy/rule-service.js';
import { RuleStore } from '../policy/rule-store.js';
import { createAgentModule, type AgentModule } from '../agents/module.js';
import { AppUsageStore } from '../agents/app-usage.js';

/** Real time plus an offset the test moves forward; every clock of the app reads it. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export interface TestUser {
  id: number;
  username: string;
  password: string;
  role: Role;
}

export interface TestSession {
  token: string;
  csrfToken: string;
  /** `Authorization: Bearer <session token>`: no CSRF header needed. */
  bearer: Record<string, string>;
  /** The browser's way: both cookies, without the CSRF header. */
  cookie: Record<string, string>;
  /** The cookies plus the matching x-csrf-token header, as the UI sends a change. */
  cookieWithCsrf: Record<string, string>;
}

export type TokenState = 'live' | 'expired' | 'revoked';

export interface TestApp {
  app: App;
  deps: AppDeps;
  database: Database;
  clock: TestClock;
  auth: AuthService;
  users: UserService;
  userStore: UserStore;
  tokens: TokenService;
  audit: AuditLog;
  limiter: LoginLimiter;
  live: LiveFeed;
  usage: UsageStore;
  engine: PolicyEngine<Rule>;
  rules: RuleService;
  deviceStore: DeviceStore;
  /** The real agents module: enrollments, agents, the hub of their sockets. */
  agents: AgentModule;
  /** A device that exists (02:50:50:00:00:01, 192.168.77.11). */
  deviceId: number;
  /** A new user (username `<role>-<n>` unless given). */
  createUser(role: Role, opts?: { username?: string; password?: string }): Promise<TestUser>;
  /** A session of the user, as a login would make it. */
  login(user: TestUser): Promise<TestSession>;
  /** createUser + login. */
  signIn(role: Role): Promise<{ user: TestUser; session: TestSession }>;
  /** An API token of the user (role defaults to the user's), live, expired or revoked. */
  apiToken(user: TestUser, opts?: { role?: Role; state?: TokenState; name?: string }): Promise<string>;
  /** An `Authorization` header value the stand-in agent authenticator accepts. */
  agentCredential(opts?: { agentId?: number; deviceId?: number | null }): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  agentAuth?: AgentAuthenticator;
  allowedLocalAddresses?: string[];
  limiter?: Omit<LoginLimiterOptions, 'now'>;
  /** The Secure flag on session cookies (as with --tls). */
  secureCookies?: boolean;
}

const catalog = Catalog.load();
const silent = pino({ level: process.env.PP_TEST_LOG ?? 'silent' });

export async function buildTestApp(database: Database, options: TestAppOptions = {}): Promise<TestApp> {
  const db = database.db;
  let offsetMs = 0;
  const clock: TestClock = {
    now: () => new Date(Date.now() + offsetMs),
    advance: (ms) => {
      offsetMs += ms;
    },
  };
  const now = clock.now;

  const userStore = new UserStore(db, now);
  const auth = new AuthService(userStore, new SessionStore(db, now), now);
  const users = new UserService(userStore, auth);
  const tokens = new TokenService(new ApiTokenStore(db, now), now);
  const audit = new AuditLog(db);
  const limiter = new LoginLimiter({ ...options.limiter, now: () => now().getTime() });

  const usage = new UsageStore(db, { timeZone: 'UTC' });
  const deviceStore = new DeviceStore(db);
  const devices = new DeviceService(
    deviceStore,
    { totals: async () => new Map((await usage.totals({ kind: 0 })).map((t) => [t.deviceId, t] as const)) },
    () => true,
  );
  const live = new LiveFeed();
  const engine = new PolicyEngine<Rule>({ catalog });
  const rules = new RuleService({ store: new RuleStore(db), catalog, engine, devices });
  await rules.load();

  // The real agents module (enrollments, hub); credentials made by agentCredential() are
  // accepted first, then real ones, unless the test brings its own authenticator.
  const appUsage = new AppUsageStore(db, now);
  const agentModule = createAgentModule(db, {
    log: silent,
    now,
    reports: { ingest: (agent, r) => (r.type === 'appUsage' ? appUsage.record(agent, r) : undefined) },
    policyFor: (a) => (a.deviceId === null ? [] : engine.blockedApps(a.deviceId)),
  });
  rules.onChange(() => {
    agentModule.hub.refreshPolicies();
  });
  const agents = new Map<string, { agentId: number; deviceId: number | null }>();
  const agentAuth: AgentAuthenticator = options.agentAuth ?? {
    authenticate: async (header) =>
      agents.get(header.trim()) ?? (await agentModule.auth.authenticate(header)),
  };

  const deps: AppDeps = {
    log: silent,
    auth,
    users,
    tokens,
    audit,
    loginLimiter: limiter,
    ...agentModule.deps,
    agentAuth,
    allowedLocalAddresses: options.allowedLocalAddresses,
    secureCookies: options.secureCookies,
    devices,
    usage: new UsageQueries(usage, devices),
    remotes: new FlowStore(db),
    breakdowns: new UsageBreakdowns(
      new FlowStore(db),
      { classify: () => ({ service: null, category: null }) },
      usage,
      appUsage,
    ),
    dnsLog: new QueryLogStore(db),
    dnsSettings: await DnsSettingsService.load(new SettingsStore(db), {
      cliUpstreams: ['198.18.0.1'],
      log: silent,
    }),
    catalog,
    rules,
    live,
    health: async () => ({
      status: 'ok',
      version: 'test',
      uptimeSeconds: 0,
      database: database.kind,
      warnings: [],
      memory: { rssBytes: 1, heapUsedBytes: 1, externalBytes: 1 },
      accounting: { lastSampleAt: null, wanGapPercent: null },
    }),
    now,
  };
  const app = await buildApp(deps);

  const device = await deviceStore.upsertSeen({
    mac: '02:50:50:00:00:01',
    addresses: ['192.168.77.11'],
    vendor: null,
    at: new Date('2026-11-25T10:00:00Z'),
  });

  let userSeq = 0;
  let tokenSeq = 0;
  let agentSeq = 0;
  const createUser: TestApp['createUser'] = async (role, opts = {}) => {
    const username = opts.username ?? `${role}-${++userSeq}`;
    const password = opts.password ?? `a long password of ${username}`;
    const created = await auth.createUser(username, password, role);
    return { id: created.id, username: created.username, password, role };
  };
  const login: TestApp['login'] = async (user) => {
    const result = await auth.login(user.username, user.password);
    if (!result) throw new Error(`test login of ${user.username} failed (disabled?)`);
    const csrfToken = csrfTokenFor(result.token);
    const cookie = { cookie: `${SESSION_COOKIE}=${result.token}; ${CSRF_COOKIE}=${csrfToken}` };
    return {
      token: result.token,
      csrfToken,
      bearer: { authorization: `Bearer ${result.token}` },
      cookie,
      cookieWithCsrf: { ...cookie, [CSRF_HEADER]: csrfToken },
    };
  };

  return {
    app,
    deps,
    database,
    clock,
    auth,
    users,
    userStore,
    tokens,
    audit,
    limiter,
    live,
    usage,
    engine,
    rules,
    deviceStore,
    deviceId: device.id,
    createUser,
    login,
    async signIn(role) {
      const user = await createUser(role);
      return { user, session: await login(user) };
    },
    async apiToken(user, opts = {}) {
      const state = opts.state ?? 'live';
      const { token, record } = await tokens.issue(user.id, {
        name: opts.name ?? `test token ${++tokenSeq}`,
        role: opts.role ?? user.role,
        expiresAt: state === 'expired' ? new Date(now().getTime() - 60_000) : null,
      });
      if (state === 'revoked') await tokens.revoke(record.id, { userId: user.id, role: user.role });
      return token;
    },
    agentCredential(opts = {}) {
      const agentId = opts.agentId ?? ++agentSeq;
      const header = `Agent ${agentId}.test-agent-secret-${agentId}`;
      agents.set(header, { agentId, deviceId: opts.deviceId === undefined ? device.id : opts.deviceId });
      return header;
    },
    agents: agentModule,
    async close() {
      agentModule.hub.closeAll();
      await app.close();
      // Audit rows are written after the reply: a late one must not land in the next test's database.
      await audit.settled();
    },
  };
}

/** `{ authorization: 'Bearer <token>' }` */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
