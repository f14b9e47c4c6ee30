/**
 * Entry point for the DNS benchmark: a DnsServer with an allow-all policy and a listener that
 * only counts. The server still builds every record and calls the listener, so the measured
 * path is the production path.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../log.js';
import type { DnsStats } from './options.js';
import { DnsServer } from './server.js';
import { DEFAULT_DNS_SETTINGS, type DnsAnswerListener, type DomainPolicy } from './types.js';

export interface BenchDnsServer {
  address: string;
  port: number;
  /** What the listener saw (a sanity check that the work was done). */
  listened(): { answers: number; queries: number };
  stats(): DnsStats;
  stop(): Promise<void>;
}

export async function startBenchDnsServer(opts: {
  address: string;
  port: number;
  /** 'ADDR', 'ADDR:PORT' or '[V6]:PORT'. */
  upstream: string;
}): Promise<BenchDnsServer> {
  const allow = Object.freeze({ action: 'allow' as const, ruleId: null });
  const policy: DomainPolicy = { generation: 1, decide: () => allow };
  let answers = 0;
  let queries = 0;
  const listener: DnsAnswerListener = {
    onAnswer: (a) => {
      answers += a.addresses.length > 0 ? 1 : 0;
    },
    onQuery: (r) => {
      queries += r.latencyUs >= 0 ? 1 : 0;
    },
  };
  const dns = new DnsServer({
    listen: [{ address: opts.address, port: opts.port }],
    settings: { ...DEFAULT_DNS_SETTINGS, upstreams: [opts.upstream] },
    policy,
    clients: { deviceIdForAddressSync: () => 1 },
    listener,
    log: createLogger(process.env.PP_LOG_LEVEL ?? 'warn'),
  });
  await dns.start();
  const bound = dns.addresses()[0]!;
  return {
    address: bound.address,
    port: bound.port,
    listened: () => ({ answers, queries }),
    stats: () => dns.stats(),
    stop: () => dns.stop(),
  };
}

// `node gateway/dist/dns/bench-server.js ADDRESS PORT UPSTREAM` runs it standalone until SIGINT/SIGTERM.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [address = '127.0.0.2', port = '5300', upstream = '127.0.0.1:5353'] = process.argv.slice(2);
  const server = await startBenchDnsServer({ address, port: Number(port), upstream });
  console.log(`bench dns server on ${server.address}:${server.port} → ${upstream}`);
  const done = async (): Promise<void> => {
    console.log(JSON.stringify(server.stats()));
    await server.stop();
  };
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
}
