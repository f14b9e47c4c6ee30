import type { Decision, DomainPolicy } from '../policy/decision.js';

export type { Decision, DomainPolicy };

/** One answered query, as the query log and the live tail see it. */
export interface DnsQueryRecord {
  /** Epoch ms when the query arrived. */
  at: number;
  client: string;
  deviceId: number;
  /** Lower-case, no trailing dot ('' for the root). */
  name: string;
  /** A, AAAA, HTTPS, … or TYPE65280 for types without a mnemonic. */
  qtype: string;
  /** NOERROR, NXDOMAIN, SERVFAIL, FORMERR, REFUSED, … */
  rcode: string;
  /** Answer addresses / targets, at most a few. */
  answers: string[];
  decision: Decision;
  latencyUs: number;
  /** Answered from the cache (no upstream round trip). */
  cached: boolean;
  transport: 'udp' | 'tcp';
}

/** An answer that carries addresses, as the attribution memory and the enforcer learn it. */
export interface DnsAnswer {
  client: string;
  deviceId: number;
  /** The name the client asked for (not the CNAME target). */
  name: string;
  addresses: readonly string[];
  /** Remaining TTL in seconds (the minimum over the address records). */
  ttl: number;
  decision: Decision;
}

/**
 * Called for every answer that carries addresses, blocked or not: the attribution memory and
 * the enforcer learn (client, address) → name from it. Must be cheap: it runs on the hot path.
 * addresses is shared with the cache; do not mutate it.
 */
export interface DnsAnswerListener {
  onAnswer(a: DnsAnswer): void;
  onQuery(record: DnsQueryRecord): void;
}

/** Client address → device id, synchronously (0 when unknown). */
export interface ClientDevices {
  deviceIdForAddressSync(address: string): number;
  /** A query came from an address no device holds yet: look again soon (throttled by the callee). */
  unknownClient?(address: string): void;
}

export type BlockMode = 'null' | 'nxdomain';

export interface DnsSettings {
  /** 'ADDR' or 'ADDR:PORT' / '[V6]:PORT'; tried in order, the next on timeout or SERVFAIL. */
  upstreams: string[];
  /** Blocked names get 0.0.0.0 / :: (null) or NXDOMAIN. */
  blockMode: BlockMode;
  /** TTL of a blocked answer, seconds. */
  blockTtl: number;
  /** Query log retention, hours. */
  queryLogRetentionHours: number;
}

export const DEFAULT_DNS_SETTINGS: DnsSettings = {
  upstreams: [],
  blockMode: 'null',
  blockTtl: 10,
  queryLogRetentionHours: 24 * 7,
};
