/**
 * The agent's loop: a socket snapshot every `pollMs` (the next one starts when the last finished,
 * never two at once), blocked apps enforced on it, changes turned into flows reports. Nothing in
 * here waits on the gateway.
 */
import type { SocketCollector, SocketOwner } from './collect/collector.js';
import type { AppBlocker } from './block/blocker.js';
import { FlowTracker } from './flows/tracker.js';
import type { FlowBatcher } from './flows/batcher.js';
import type { Cancel, Clock } from './os/clock.js';
import type { Logger } from './log.js';

export interface AgentOptions {
  collector: SocketCollector;
  blocker: AppBlocker;
  batcher: FlowBatcher;
  clock: Clock;
  log: Logger;
  /** Default 100 ms: connections that live 200 ms or more are seen (docs/agent-lite.md). */
  pollMs?: number;
}

export interface AgentStats {
  polls: number;
  pollErrors: number;
  lastPollMs: number;
  maxPollMs: number;
  openFlows: number;
}

/** A repeated failure is logged when it changes and then every 10 minutes, not every poll. */
const REPEAT_LOG_MS = 10 * 60_000;

export class Agent {
  readonly stats: AgentStats = { polls: 0, pollErrors: 0, lastPollMs: 0, maxPollMs: 0, openFlows: 0 };
  readonly #tracker = new FlowTracker();
  #timer: Cancel | undefined;
  #running = false;
  #current: Promise<void> = Promise.resolve();
  /** Blocker calls (policy changes and per-snapshot enforcement) one after another. */
  #blocking: Promise<void> = Promise.resolve();
  #lastError: { message: string; at: number } | undefined;
  readonly #pollMs: number;

  constructor(private readonly o: AgentOptions) {
    this.#pollMs = o.pollMs ?? 100;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling, waits for the poll under way and sends what the batcher holds to the outbox. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.();
    this.#timer = undefined;
    await this.#current;
    await this.#blocking;
    this.o.batcher.flush();
  }

  /** A new policy from the gateway (or the stored one at start-up). */
  setPolicy(blockedApps: readonly string[]): Promise<void> {
    return this.#block(() => this.o.blocker.apply(blockedApps));
  }

  /** One poll; public so tests can step the loop. */
  async tick(): Promise<void> {
    const started = this.o.clock.now();
    let owners: SocketOwner[];
    try {
      owners = await this.o.collector.snapshot();
    } catch (err) {
      this.stats.pollErrors++;
      this.#logError(err);
      return;
    }
    await this.#block(() => this.o.blocker.enforce(owners));
    this.o.batcher.add(this.#tracker.update(owners));
    const took = this.o.clock.now() - started;
    this.stats.polls++;
    this.stats.lastPollMs = took;
    this.stats.maxPollMs = Math.max(this.stats.maxPollMs, took);
    this.stats.openFlows = this.#tracker.size;
    if (this.#lastError) {
      this.o.log.info({ collector: this.o.collector.name }, 'socket snapshots work again');
      this.#lastError = undefined;
    }
  }

  #schedule(delay: number): void {
    this.#timer = this.o.clock.after(delay, () => {
      this.#timer = undefined;
      if (!this.#running) return;
      const started = this.o.clock.now();
      this.#current = this.tick()
        .catch((err: unknown) => this.#logError(err))
        .finally(() => {
          if (this.#running) this.#schedule(Math.max(0, this.#pollMs - (this.o.clock.now() - started)));
        });
    });
  }

  #block(step: () => Promise<void>): Promise<void> {
    this.#blocking = this.#blocking.then(step).catch((err: unknown) => {
      this.o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'blocking apps failed');
    });
    return this.#blocking;
  }

  #logError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const now = this.o.clock.now();
    if (this.#lastError?.message === message && now - this.#lastError.at < REPEAT_LOG_MS) return;
    this.#lastError = { message, at: now };
    this.o.log.warn({ collector: this.o.collector.name, err: message }, 'socket snapshot failed');
  }
}
