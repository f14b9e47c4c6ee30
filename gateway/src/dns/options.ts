/** What the daemon passes to the DNS server, and what it gets back from stats(). */
import type { Logger } from '../log.js';
import type { HealthRegistry } from '../health/registry.js';
import type { ClientDevices, DnsAnswerListener, DnsSettings, DomainPolicy } from './types.js';

export interface ListenAddress {
  address: string;
  port: number;
}

export interface DnsStats {
  /** Every packet with a query header (answered, blocked, failed, FORMERR, NOTIMP). */
  queries: number;
  cacheHits: number;
  cacheMisses: number;
  blocked: number;
  /** Failed upstream exchanges (timeout, network error, malformed, SERVFAIL/REFUSED). */
  upstreamErrors: number;
  formErr: number;
  /** Packets not answered at all: shorter than a header, or responses (QR=1). */
  dropped: number;
  cacheEntries: number;
}

export type DnsCounters = Omit<DnsStats, 'cacheEntries'>;

export interface DnsTuning {
  cacheEntries: number;
  upstreamTimeoutMs: number;
  upstreamTcpTimeoutMs: number;
  /** Distinct cache misses in flight; more get SERVFAIL at once (random-subdomain floods). */
  maxInflight: number;
  tcpIdleMs: number;
  maxTcpConnections: number;
  maxTcpQueriesInFlight: number;
  /** Seconds to cache NXDOMAIN/NODATA that came without an SOA (dnsmasq: --neg-ttl). */
  negativeTtlNoSoa: number;
  maxTtl: number;
  /** An upstream that timed out is tried after the others for this long. */
  failedUpstreamBackoffMs: number;
}

export const DEFAULT_DNS_TUNING: Readonly<DnsTuning> = Object.freeze({
  cacheEntries: 20_000,
  upstreamTimeoutMs: 1_500,
  upstreamTcpTimeoutMs: 3_000,
  maxInflight: 4_096,
  tcpIdleMs: 10_000,
  maxTcpConnections: 256,
  maxTcpQueriesInFlight: 32,
  negativeTtlNoSoa: 30,
  maxTtl: 86_400,
  failedUpstreamBackoffMs: 30_000,
});

export interface DnsServerOptions {
  /** Port 0 picks a free port (the same one for UDP and TCP); see DnsServer.addresses(). */
  listen: ListenAddress[];
  settings: DnsSettings;
  policy: DomainPolicy;
  clients: ClientDevices;
  listener: DnsAnswerListener;
  log: Logger;
  /** Clock in epoch ms (cache ages, query timestamps); injected by tests. */
  now?: () => number;
  /** Raises HEALTH_UPSTREAM_UNREACHABLE while no upstream answers. */
  health?: Pick<HealthRegistry, 'raise' | 'clear'>;
  tuning?: Partial<DnsTuning>;
}

export const HEALTH_UPSTREAM_UNREACHABLE = 'dns_upstream_unreachable';
