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

/** Everything the HTTP layer needs; the daemon builds it, tests build it with fakes or a real DB. */
export interface AppDeps {
  log: Logger;
  auth: AuthService;
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
  /** Set the Secure flag on the session cookie (when served over TLS). */
  secureCookies?: boolean;
  now?: () => Date;
}
