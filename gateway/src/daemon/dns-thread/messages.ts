/**
 * What the daemon's main thread and the resolver's worker thread say to each other. Plain data
 * only (structured clone): no class instances, no functions.
 */
import type { Rule } from '@packetpilot/protocol';
import type { ListenAddress, DnsStats, DnsTuning } from '../../dns/options.js';
import type { DnsAnswer, DnsQueryRecord, DnsSettings } from '../../dns/types.js';
import type { LogRecord } from './log.js';

/** Everything the worker's policy engine decides from: the same inputs as the main one. */
export interface PolicySnapshot {
  rules: Rule[];
  /** Devices with bypass prevention off. */
  bypassExempt: number[];
}

export interface WorkerInit {
  listen: ListenAddress[];
  settings: DnsSettings;
  tuning?: Partial<DnsTuning>;
  policy: PolicySnapshot;
  /** [address, device id] for every address a device holds. */
  clients: Array<[string, number]>;
  logLevel: string;
  /** Catalogue directory; undefined = the one shipped with the gateway. */
  catalogDir?: string;
}

export type ToWorker =
  | { type: 'settings'; settings: DnsSettings }
  | { type: 'policy'; seq: number; policy: PolicySnapshot }
  | { type: 'clients'; clients: Array<[string, number]> }
  | { type: 'stats'; seq: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'started'; addresses: ListenAddress[] }
  | { type: 'failed'; message: string }
  /** Answers before queries: the attribution memory learns an address before the log shows it. */
  | { type: 'events'; answers: DnsAnswer[]; queries: DnsQueryRecord[]; droppedQueries: number }
  | { type: 'unknownClient'; address: string }
  | { type: 'health'; raise: boolean; code: string; message?: string }
  | { type: 'policyApplied'; seq: number }
  | { type: 'stats'; seq: number; stats: DnsStats }
  | { type: 'log'; record: LogRecord };
