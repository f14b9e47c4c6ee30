import type {
  Device,
  DnsQuery,
  DnsSettings,
  DnsSettingsPatch,
  Health,
  UsageBreakdown,
  UsageGroupBy,
  UsageSeries,
  UsageSummary,
  Bucket,
} from '@packetpilot/protocol';
import type { AuthService } from '../auth/service.js';
import type { TokenService } from '../auth/tokens.js';
import type { UserService } from '../auth/users.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { AuditLog } from '../audit/store.js';
import type { AgentHub } from '../agents/hub.js';
import type { AgentService } from '../agents/service.js';
import type { Catalog } from '../classify/catalog.js';
import type { RuleService } from '../policy/rule-service.js';
import type { LiveFeed } from '../usage/live.js';
import type { Logger } from '../log.js';

export interface DeviceService {
  list(): Promise<Device[]>;
  get(id: number): Promise<Device | null>;
  /** Cheaper than get: no usage totals. */
  exists(id: number): Promise<boolean>;
  update(
    id: number,
    patch: { name?: string | null; bypassPrevention?: boolean; blockQuic?: boolean },
  ): Promise<Device | null>;
}

export interface UsageQueries {
  series(q: { deviceId: number; from: Date; to: Date; bucket: Bucket }): Promise<UsageSeries>;
  summary(q: { from: Date; to: Date; limit: number }): Promise<UsageSummary>;
}

export interface RemoteQueries {
  topRemotes(q: {
    deviceId: number;
    from: Date;
    to: Date;
    limit: number;
  }): Promise<
    Array<{ remote: string; proto: string; port: number; rxBytes: number; txBytes: number; flows: number }>
  >;
}

export interface UsageBreakdownQueries {
  breakdown(q: { deviceId: number; from: Date; to: Date; groupBy: UsageGroupBy }): Promise<UsageBreakdown>;
}

export interface DnsLogQueries {
  list(f: {
    deviceId?: number;
    text?: string;
    blocked?: boolean;
    before?: number;
    limit: number;
  }): Promise<DnsQuery[]>;
  topDomains(q: {
    deviceId: number;
    from: Date;
    to: Date;
    limit: number;
  }): Promise<Array<{ name: string; queries: number; blocked: number }>>;
}

export interface DnsSettingsAccess {
  get(): DnsSettings;
  update(patch: DnsSettingsPatch): Promise<DnsSettings>;
}

/** Checks an agent's credential; provided by the agents module. */
export interface AgentAuthenticator {
  /** `header` is the whole Authorization header value, `Agent <id>.<secret>`; null when it is not a live agent. */
  authenticate(header: string): Promise<{ agentId: number; deviceId: number | null } | null>;
}

/** Everything the HTTP layer needs; the daemon builds it, tests build it with fakes or a real DB. */
export interface AppDeps {
  log: Logger;
  /** Passwords, sessions, the setup token. */
  auth: AuthService;
  /** User management (admin). */
  users: Pick<UserService, 'list' | 'get' | 'create' | 'update' | 'delete'>;
  /** Personal API tokens. */
  tokens: Pick<TokenService, 'create' | 'authenticate' | 'list' | 'revoke'>;
  /** Where request.audit() entries go; GET /audit reads it. */
  audit: Pick<AuditLog, 'append' | 'query'>;
  /** Failed logins (and setup attempts) per address and username; one with defaults when absent. */
  loginLimiter?: LoginLimiter;
  /** Resolves `Authorization: Agent …` credentials; without it no agent is ever authenticated. */
  agentAuth?: AgentAuthenticator;
  /**
   * When set, only requests that arrived on one of these local addresses (the LAN side) are
   * served; any other gets 403 before authentication. Unset: every address (--allow-wan-admin).
   */
  allowedLocalAddresses?: string[];
  /** Serve HTTPS with this certificate and key (PEM); session cookies then get Secure. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  devices: DeviceService;
  usage: UsageQueries;
  remotes: RemoteQueries;
  breakdowns: UsageBreakdownQueries;
  dnsLog: DnsLogQueries;
  dnsSettings: DnsSettingsAccess;
  /** Service/category catalogue (GET /catalog/*). */
  catalog: Pick<Catalog, 'services' | 'categories'>;
  /** Block/allow rules (CRUD and explain). */
  rules: Pick<RuleService, 'list' | 'get' | 'create' | 'update' | 'delete' | 'explain'>;
  health: () => Promise<Health>;
  live: LiveFeed;
  /** Set the Secure flag on the session cookies; default: on when `tls` is given. */
  secureCookies?: boolean;
  now?: () => Date;
  /** Agent enrollment, the agents list and revocation; the agent routes answer 503 without it. */
  agents?: AgentService;
  /** The agents' live WebSockets (`GET /api/v1/agent`). */
  agentHub?: AgentHub;
  /** The gateway's base URL as agents and phones reach it (enrollment links); default: the request's host. */
  publicUrl?: string;
  /** The device that holds this address now: binds an agent that enrolls from it. */
  deviceForAddress?(address: string): Promise<number | null>;
  /** The built admin UI served at `/` (default: ui/dist of this checkout); skipped when missing. */
  uiDir?: string;
}
