/**
 * Cache misses: one upstream exchange per distinct (name, type, class, DO) in flight however many
 * clients ask, failover across the upstreams, TCP retry for truncated answers, and the cache
 * insert. Waiters are opaque to this module; the server decides what delivering means.
 */
import type { Logger } from '../log.js';
import type { DnsCache } from './cache.js';
import { analyzeResponse, type AnalyzeLimits, type Answer } from './response.js';
import { Upstream } from './upstream.js';
import { F2_TC, RCODE_REFUSED, RCODE_SERVFAIL, type Query } from './wire.js';

export interface ResolverOptions<W> {
  cache: DnsCache;
  limits: AnalyzeLimits;
  udpTimeoutMs: number;
  tcpTimeoutMs: number;
  /** Distinct misses in flight before new ones get SERVFAIL (random-subdomain floods). */
  maxInflight: number;
  /** A failed upstream goes to the back of the line for this long. */
  failedUpstreamBackoffMs: number;
  now: () => number;
  log: Logger;
  /** answer null = every upstream failed. Called once per waiter; must not throw. */
  deliver(waiter: W, answer: Answer | null): void;
  onUpstreamError(upstream: string, err: string): void;
  /** No upstream could be reached for this name (or none is configured); errors in the order tried. */
  onExhausted(name: string, errors: readonly string[]): void;
  onUpstreamOk(): void;
}

interface Flight<W> {
  query: Query;
  waiters: W[];
}

export class Resolver<W> {
  readonly #o: ResolverOptions<W>;
  readonly #flights = new Map<string, Flight<W>>();
  readonly #running = new Set<Promise<void>>();
  #upstreams: Upstream[] = [];
  /** Closed until open(): nothing is forwarded before the server starts or after it stops. */
  #closed = true;

  constructor(opts: ResolverOptions<W>) {
    this.#o = opts;
  }

  get inflight(): number {
    return this.#flights.size;
  }

  /** Starts (or restarts after close) forwarding to these upstreams. */
  open(upstreams: Upstream[]): void {
    this.#closed = false;
    this.setUpstreams(upstreams);
  }

  /** Replaces the upstream list; exchanges in flight on the old ones fail over to nothing (SERVFAIL). */
  setUpstreams(upstreams: Upstream[]): void {
    const old = this.#upstreams;
    this.#upstreams = upstreams;
    for (const u of old) u.close();
  }

  /** Adds a waiter for q's answer, starting an upstream exchange unless one is already running. */
  join(q: Query, waiter: W): void {
    if (this.#closed) return;
    const key = `${q.name}\u0000${q.qtype}\u0000${q.qclass}\u0000${q.dnssecOk ? 1 : 0}`;
    const flight = this.#flights.get(key);
    if (flight !== undefined) {
      flight.waiters.push(waiter);
      return;
    }
    if (this.#flights.size >= this.#o.maxInflight) {
      this.#deliver(waiter, null);
      return;
    }
    const f: Flight<W> = { query: q, waiters: [waiter] };
    this.#flights.set(key, f);
    const run = this.#run(key, f).finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  /** Fails all exchanges, delivers nothing more, and waits for the flights to unwind. */
  async close(): Promise<void> {
    this.#closed = true;
    this.setUpstreams([]);
    await Promise.allSettled([...this.#running]);
    this.#flights.clear();
  }

  async #run(key: string, f: Flight<W>): Promise<void> {
    let answer: Answer | null = null;
    try {
      answer = await this.#exchange(f.query);
    } catch (err) {
      // #exchange handles upstream failures itself; this is a bug, not a network problem.
      this.#o.log.error({ err, name: f.query.name }, 'dns resolver: unexpected failure');
    }
    this.#flights.delete(key);
    if (this.#closed) return;
    const q = f.query;
    if (answer !== null) this.#o.cache.set(q.name, q.qtype, q.qclass, q.dnssecOk, answer);
    for (const w of f.waiters) this.#deliver(w, answer);
  }

  #deliver(w: W, answer: Answer | null): void {
    try {
      this.#o.deliver(w, answer);
    } catch (err) {
      // One waiter's failure must not cost the others their answers, nor reject the flight.
      this.#o.log.error({ err }, 'dns resolver: delivering an answer failed');
    }
  }

  async #exchange(q: Query): Promise<Answer | null> {
    // Trailing bytes after the last record are not ours to forward.
    const query = q.msg.subarray(0, q.end);
    const now = this.#o.now();
    const backoff = this.#o.failedUpstreamBackoffMs;
    const upstreams = this.#upstreams;
    const healthy = upstreams.filter((u) => now - u.failedAt >= backoff);
    const ordered =
      healthy.length === upstreams.length
        ? upstreams
        : [...healthy, ...upstreams.filter((u) => !healthy.includes(u))];
    const errors: string[] = [];
    let reached = false;
    for (const up of ordered) {
      if (this.#closed) return null;
      const label = up.target.label;
      try {
        let raw = await up.udp(query, q.questionEnd, this.#o.udpTimeoutMs);
        if (raw[2]! & F2_TC) raw = await up.tcp(query, q.questionEnd, this.#o.tcpTimeoutMs);
        const a = analyzeResponse(raw, this.#o.limits);
        if (typeof a === 'string') {
          this.#failed(up, `malformed answer from ${label}: ${a}`, true, errors);
          continue;
        }
        reached = true;
        up.failedAt = 0;
        this.#o.onUpstreamOk();
        if (a.rcode === RCODE_SERVFAIL || a.rcode === RCODE_REFUSED) {
          // One name failing says little about the server: try the next without demoting this one.
          const rcode = a.rcode === RCODE_SERVFAIL ? 'SERVFAIL' : 'REFUSED';
          this.#failed(up, `${label} answered ${rcode} for ${q.name}`, false, errors);
          continue;
        }
        return a;
      } catch (err) {
        this.#failed(up, (err as Error).message, true, errors);
      }
    }
    // Upstreams that answered SERVFAIL are reachable: only silence or errors mean "down".
    if (!this.#closed && !reached) this.#o.onExhausted(q.name, errors);
    return null;
  }

  #failed(up: Upstream, reason: string, demote: boolean, errors: string[]): void {
    if (this.#closed) return;
    errors.push(reason);
    if (demote) up.failedAt = this.#o.now();
    this.#o.onUpstreamError(up.target.label, reason);
  }
}
