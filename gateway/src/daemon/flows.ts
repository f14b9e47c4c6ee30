import { BlockList, isIPv4 } from 'node:net';
import type { CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import type { HealthRegistry } from '../health/registry.js';
import {
  ConntrackCli,
  FlowTracker,
  checkConntrack,
  enableConntrackAccounting,
  startFlowAccounting,
  type FlowAccounting,
} from '../conntrack/index.js';
import {
  FlowLedger,
  type AddressOwner,
  type FlowAddresses,
  type FlowAppLabeler,
  type FlowLabeler,
} from '../usage/flows.js';
import type { FlowStore } from '../usage/flow-store.js';
import type { TimeBuckets } from '../usage/buckets.js';

export interface LanPrefix {
  address: string;
  prefixlen: number;
}

/** Membership test for the LAN's prefixes; the gateway's own addresses are not LAN devices. */
export function lanMatcher(prefixes: LanPrefix[]): (address: string) => boolean {
  const lan = new BlockList();
  for (const p of prefixes) {
    const type = isIPv4(p.address) ? 'ipv4' : 'ipv6';
    lan.addSubnet(p.address, p.prefixlen, type);
  }
  return (address) => {
    try {
      return lan.check(address.split('%')[0]!, isIPv4(address) ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  };
}

export interface FlowAccountingHandle {
  ledger: FlowLedger;
  tracker: FlowTracker;
  /** A last dump and flush, so a clean stop books every flow's bytes so far. */
  stop(): Promise<void>;
}

/**
 * Per-flow accounting from conntrack: switch acct/events on, report what is still wrong as
 * health warnings, restore the persisted flow baselines, then follow events + periodic dumps.
 */
export async function startFlows(o: {
  runner: CommandRunner;
  log: Logger;
  health: HealthRegistry;
  store: FlowStore;
  owners: AddressOwner;
  addresses: FlowAddresses;
  buckets: TimeBuckets;
  labeler?: FlowLabeler;
  apps?: FlowAppLabeler;
}): Promise<FlowAccountingHandle> {
  const log = o.log.child({ module: 'conntrack' });
  const failed = await enableConntrackAccounting(o.runner);
  if (failed) log.warn({ error: failed }, 'could not switch on conntrack accounting');
  for (const p of await checkConntrack(o.runner)) o.health.raise(p.code, p.message);

  const tracker = new FlowTracker({ health: o.health, log });
  const ledger = new FlowLedger(
    tracker,
    o.store,
    o.owners,
    o.addresses,
    o.buckets,
    log,
    () => new Date(),
    o.labeler ?? null,
    o.apps ?? null,
  );
  await ledger.start();
  const accounting: FlowAccounting = startFlowAccounting({
    conntrack: new ConntrackCli(o.runner, { log }),
    tracker,
    onDeltas: (deltas) => ledger.push(deltas),
    dumpIntervalMs: 10_000,
    log,
  });
  return {
    ledger,
    tracker,
    async stop() {
      await accounting.dumpNow();
      accounting.stop();
      await ledger.flush();
    },
  };
}
