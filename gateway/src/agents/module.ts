/**
 * The agents feature wired together on one database: what the daemon and the tests build, and the
 * part of AppDeps it fills in.
 */
import type { Db } from '../db/open.js';
import { DeviceStore } from '../db/device-store.js';
import type { Logger } from '../log.js';
import { AgentAuth } from './auth.js';
import type { AgentReportSink } from './connection.js';
import { AgentHub, type AgentHubOptions } from './hub.js';
import { AgentService } from './service.js';
import { AgentStore } from './store.js';

export interface AgentModuleOptions {
  log: Logger;
  now?: () => Date;
  reports?: AgentReportSink;
  /** The apps an agent must block: the policy engine's app rules for its device. */
  policyFor?: AgentHubOptions['policyFor'];
  /** Hub tuning (heartbeat, idle, bad-message limits). */
  hub?: Omit<AgentHubOptions, 'log' | 'now' | 'touch' | 'reports' | 'policyFor'>;
}

export interface AgentModule {
  store: AgentStore;
  hub: AgentHub;
  auth: AgentAuth;
  service: AgentService;
  /** The AppDeps fields of this feature. */
  deps: { agents: AgentService; agentHub: AgentHub; agentAuth: AgentAuth };
}

export function createAgentModule(db: Db, options: AgentModuleOptions): AgentModule {
  const store = new AgentStore(db);
  const devices = new DeviceStore(db);
  const hub = new AgentHub({
    ...options.hub,
    log: options.log,
    ...(options.now ? { now: options.now } : {}),
    ...(options.reports ? { reports: options.reports } : {}),
    ...(options.policyFor ? { policyFor: options.policyFor } : {}),
    touch: (agentId, at) => store.touch(agentId, at),
  });
  const auth = new AgentAuth(store);
  const service = new AgentService({
    store,
    hub,
    ...(options.now ? { now: options.now } : {}),
    deviceForMac: async (mac) => (await devices.getByMac(mac))?.id ?? null,
  });
  return { store, hub, auth, service, deps: { agents: service, agentHub: hub, agentAuth: auth } };
}
