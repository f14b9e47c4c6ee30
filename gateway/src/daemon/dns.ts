import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { Db } from '../db/open.js';
import type { HealthRegistry } from '../health/registry.js';
import { parseUpstream } from '../dns/index.js';
import type { ClientDevices, DnsAnswerListener } from '../dns/types.js';
import { DnsThread } from './dns-thread/client.js';
import { QueryLogStore } from '../querylog/store.js';
import { QueryLogWriter } from '../querylog/writer.js';
import { SettingsStore } from '../settings/store.js';
import { DnsSettingsService } from '../settings/dns-settings.js';
import type { PolicyStack } from './policy.js';

export const HEALTH_QUERY_LOG_DROPPED = 'dns_query_log_dropped';
export const HEALTH_NO_UPSTREAM = 'dns_no_upstream';

/** Nameservers of the host's resolv.conf, minus loopback stubs (they would be us, or unreachable). */
export function resolversFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const addr = m?.[1]?.split('%')[0];
    if (!addr || isIP(addr) === 0) continue;
    if (addr.startsWith('127.') || addr === '::1') continue;
    out.push(isIP(addr) === 6 ? `[${addr}]` : addr);
  }
  return out;
}

/** --upstream, else the host's resolv.conf: what the resolver (and the fail-open redirect) start with. */
export async function initialUpstreams(cli: string[]): Promise<string[]> {
  if (cli.length) return cli;
  return resolversFromResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
}

/** Upstreams on port 53, one per family: where LAN DNS goes while our resolver is not serving. */
export function dnsFallbackFor(upstreams: readonly string[]): { ipv4?: string; ipv6?: string } {
  const out: { ipv4?: string; ipv6?: string } = {};
  for (const u of upstreams) {
    let t;
    try {
      t = parseUpstream(u);
    } catch {
      continue;
    }
    if (t.port !== 53) continue;
    if (t.family === 4) out.ipv4 ??= t.host;
    else out.ipv6 ??= t.host;
  }
  return out;
}

export interface DnsStack {
  /** The resolver, in its own thread; null when the daemon runs without DNS (--dns-port 0). */
  server: DnsThread | null;
  log: QueryLogStore;
  writer: QueryLogWriter;
  settings: DnsSettingsService;
  /** Writes buffered query records; reports a full buffer as a health warning. */
  flush(): Promise<void>;
  prune(): Promise<void>;
  stop(): Promise<void>;
}

/** The LAN's resolver, its query log and its settings; the policy decides every answer. */
export async function startDns(o: {
  db: Db;
  listen: Array<{ address: string; port: number }>;
  /** From initialUpstreams(). */
  cliUpstreams: string[];
  policy: PolicyStack;
  clients: ClientDevices & {
    addressEntries(): Array<[string, number]>;
    onAddressesChanged(listener: () => void): void;
  };
  health: HealthRegistry;
  log: Logger;
}): Promise<DnsStack> {
  const log = o.log.child({ module: 'dns' });
  const settings = await DnsSettingsService.load(new SettingsStore(o.db), {
    cliUpstreams: o.cliUpstreams,
    log,
  });
  const checkUpstreams = (upstreams: string[]) => {
    if (upstreams.length) o.health.clear(HEALTH_NO_UPSTREAM);
    else {
      o.health.raise(
        HEALTH_NO_UPSTREAM,
        'the DNS server has no upstream resolver: give --upstream or set one in Settings → DNS',
      );
    }
  };
  checkUpstreams(settings.get().upstreams);

  const store = new QueryLogStore(o.db);
  const writer = new QueryLogWriter(store, log);
  const { applier, hits } = o.policy;
  const listener: DnsAnswerListener = {
    onAnswer: (a) => applier.onAnswer(a),
    onQuery: (r) => {
      writer.push(r);
      if (r.decision.action === 'block' && r.decision.ruleId !== null) hits.hit(r.decision.ruleId, 1);
    },
  };
  let server: DnsThread | null = null;
  if (o.listen.length) {
    const thread = new DnsThread({
      listen: o.listen,
      settings: settings.get(),
      policy: () => o.policy.snapshot(),
      clients: o.clients,
      listener,
      onQueriesDropped: (n) => writer.noteDropped(n),
      health: o.health,
      log,
    });
    await thread.start();
    server = thread;
    settings.onChange((s) => {
      thread.updateSettings(s);
      checkUpstreams(s.upstreams);
    });
    // The thread decides with copies of the policy and of who holds which address; a rule's
    // API call returns only once the thread's copy has it (the next query is already blocked).
    o.policy.engine.onChange(() => void thread.syncPolicy());
    o.policy.rules.onChange(() => thread.policySynced());
    o.clients.onAddressesChanged(() => thread.syncClients());
  }

  let reportedDropped = 0;
  return {
    server,
    log: store,
    writer,
    settings,
    async flush() {
      await writer.flush();
      if (writer.dropped > reportedDropped) {
        reportedDropped = writer.dropped;
        o.health.raise(
          HEALTH_QUERY_LOG_DROPPED,
          `the DNS query log dropped ${writer.dropped} entries: more queries than it can store`,
        );
      }
    },
    async prune() {
      const hours = settings.get().queryLogRetentionHours;
      await store.prune(new Date(Date.now() - hours * 3_600_000));
    },
    async stop() {
      await server?.stop();
      await writer.flush().catch((err: unknown) => log.warn({ err }, 'last query log flush failed'));
    },
  };
}
