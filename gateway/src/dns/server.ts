/**
 * The gateway's DNS server: owns the listeners, the cache and the resolver, wires them to the
 * query handler, and tracks upstream health. Per-query work lives in handler.ts.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { DnsCache } from './cache.js';
import { ClientDeviceCache, DecisionCache } from './decisions.js';
import { QueryHandler, type Waiter } from './handler.js';
import {
  DEFAULT_DNS_TUNING,
  HEALTH_UPSTREAM_UNREACHABLE,
  type DnsCounters,
  type DnsServerOptions,
  type DnsStats,
  type DnsTuning,
  type ListenAddress,
} from './options.js';
import { Reporter } from './report.js';
import { Resolver } from './resolver.js';
import { TcpFrontend, type ReplyTarget } from './tcp.js';
import type { DnsSettings } from './types.js';
import { UdpListener } from './udp.js';
import { upstreamsFrom } from './upstream.js';

export class DnsServer {
  readonly #o: DnsServerOptions;
  readonly #log: Logger;
  readonly #cache: DnsCache;
  readonly #resolver: Resolver<Waiter>;
  readonly #handler: QueryHandler;
  readonly #tcp: TcpFrontend;
  readonly #udp: UdpListener[] = [];
  readonly #bound: ListenAddress[] = [];
  readonly #counters: DnsCounters = {
    queries: 0,
    cacheHits: 0,
    cacheMisses: 0,
    blocked: 0,
    upstreamErrors: 0,
    formErr: 0,
    dropped: 0,
  };
  #settings: DnsSettings;
  #running = false;
  #upstreamDown = false;
  #handlerErrors = 0;

  constructor(opts: DnsServerOptions) {
    this.#o = opts;
    const t: DnsTuning = { ...DEFAULT_DNS_TUNING, ...opts.tuning };
    const log = (this.#log = opts.log.child({ module: 'dns' }));
    const now = opts.now ?? Date.now;
    this.#settings = { ...opts.settings, upstreams: [...opts.settings.upstreams] };
    this.#cache = new DnsCache({ maxEntries: t.cacheEntries, now });
    this.#resolver = new Resolver<Waiter>({
      cache: this.#cache,
      limits: { negativeTtlNoSoa: t.negativeTtlNoSoa, maxTtl: t.maxTtl },
      udpTimeoutMs: t.upstreamTimeoutMs,
      tcpTimeoutMs: t.upstreamTcpTimeoutMs,
      maxInflight: t.maxInflight,
      failedUpstreamBackoffMs: t.failedUpstreamBackoffMs,
      now,
      log,
      deliver: (waiter, answer) => this.#handler.deliver(waiter, answer),
      onUpstreamError: (upstream, err) => {
        this.#counters.upstreamErrors++;
        log.debug({ upstream, err }, 'dns upstream exchange failed');
      },
      onExhausted: (name, errors) => this.#upstreamState(false, name, errors),
      onUpstreamOk: () => this.#upstreamState(true),
    });
    this.#handler = new QueryHandler({
      cache: this.#cache,
      devices: new ClientDeviceCache(opts.clients),
      decisions: new DecisionCache(opts.policy, log),
      report: new Reporter(opts.listener, log),
      counters: this.#counters,
      now,
      settings: () => this.#settings,
      resolve: (q, waiter) => this.#resolver.join(q, waiter),
      running: () => this.#running,
    });
    this.#tcp = new TcpFrontend({
      maxConnections: t.maxTcpConnections,
      idleMs: t.tcpIdleMs,
      maxInflightPerConnection: t.maxTcpQueriesInFlight,
      log,
      onMessage: (msg, conn) => this.#guarded(msg, conn.address, conn.port, conn),
    });
  }

  /** Binds UDP, then TCP on the same port, on every listen address. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#resolver.open(upstreamsFrom(this.#settings.upstreams, this.#log));
    try {
      for (const l of this.#o.listen) this.#bound.push(await this.#listen(l));
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#log.info({ listen: this.#bound, upstreams: this.#settings.upstreams }, 'dns server listening');
  }

  /** Closes listeners, connections and upstream exchanges; resolves when all have unwound. */
  async stop(): Promise<void> {
    this.#running = false;
    const udp = this.#udp.splice(0);
    await Promise.all([...udp.map((u) => u.close()), this.#tcp.close(), this.#resolver.close()]);
    this.#bound.length = 0;
  }

  /** The bound addresses after start(), with real ports when port 0 was asked for. */
  addresses(): ListenAddress[] {
    return this.#bound.map((b) => ({ ...b }));
  }

  get settings(): Readonly<DnsSettings> {
    return this.#settings;
  }

  updateSettings(partial: Partial<DnsSettings>): void {
    const before = this.#settings.upstreams;
    const next = { ...this.#settings, ...partial, upstreams: [...(partial.upstreams ?? before)] };
    this.#settings = next;
    if (next.upstreams.join('\n') !== before.join('\n')) {
      if (this.#running) this.#resolver.setUpstreams(upstreamsFrom(next.upstreams, this.#log));
      // Another upstream may answer differently (a filtering resolver, split horizon).
      this.#cache.clear();
      this.#log.info({ upstreams: next.upstreams }, 'dns upstreams changed; cache flushed');
    }
  }

  stats(): DnsStats {
    return { ...this.#counters, cacheEntries: this.#cache.size };
  }

  async #listen(l: ListenAddress): Promise<ListenAddress> {
    // With port 0, the port the kernel gave UDP may be taken for TCP: try a few others.
    for (let attempt = 0; ; attempt++) {
      const udp = new UdpListener(l.address, this.#log, (msg, rinfo, via) =>
        this.#guarded(msg, rinfo.address, rinfo.port, via),
      );
      let port: number;
      try {
        port = await udp.bind(l.address, l.port);
        await this.#tcp.listen(l.address, port);
      } catch (err) {
        await udp.close();
        const inUse = (err as { cause?: { code?: string } }).cause?.code === 'EADDRINUSE';
        if (l.port === 0 && inUse && attempt < 5) continue;
        throw err;
      }
      this.#udp.push(udp);
      return { address: l.address, port };
    }
  }

  /**
   * A bug in the handler must cost one query, not the daemon: socket callbacks are the top of
   * the stack, where a throw becomes an uncaught exception. Logged at exponentially spaced counts.
   */
  #guarded(msg: Buffer, address: string, port: number, target: ReplyTarget): boolean {
    try {
      return this.#handler.handle(msg, address, port, target, performance.now());
    } catch (err) {
      const n = ++this.#handlerErrors;
      if ((n & (n - 1)) === 0)
        this.#log.error({ err, count: n, client: address }, 'dns: query handler threw');
      return false;
    }
  }

  #upstreamState(ok: boolean, name?: string, errors?: readonly string[]): void {
    if (ok === !this.#upstreamDown) return;
    this.#upstreamDown = !ok;
    if (ok) {
      this.#o.health?.clear(HEALTH_UPSTREAM_UNREACHABLE);
      this.#log.info('dns upstreams answering again');
      return;
    }
    const why = errors && errors.length > 0 ? errors.join('; ') : 'no upstream configured';
    this.#o.health?.raise(HEALTH_UPSTREAM_UNREACHABLE, `No upstream DNS server answered for ${name}: ${why}`);
    this.#log.warn({ upstreams: this.#settings.upstreams, errors }, 'dns upstreams not answering');
  }
}
