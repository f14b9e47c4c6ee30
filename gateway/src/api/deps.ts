import type { Device, Health, UsageSeries, UsageSummary, Bucket } from '@packetpilot/protocol';
import type { AuthService } from '../auth/service.js';
import type { LiveFeed } from '../usage/live.js';
import type { Logger } from '../log.js';

export interface DeviceService {
  list(): Promise<Device[]>;
  get(id: number): Promise<Device | null>;
  /** Cheaper than get: no usage totals. */
  exists(id: number): Promise<boolean>;
  rename(id: number, name: string | null): Promise<Device | null>;
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

/** Everything the HTTP layer needs; the daemon builds it, tests build it with fakes or a real DB. */
export interface AppDeps {
  log: Logger;
  auth: AuthService;
  devices: DeviceService;
  usage: UsageQueries;
  remotes: RemoteQueries;
  health: () => Promise<Health>;
  live: LiveFeed;
  /** Set the Secure flag on the session cookie (when served over TLS). */
  secureCookies?: boolean;
  now?: () => Date;
}
