/**
 * The main thread's handle on the resolver's worker thread (worker.ts): starts it, keeps its
 * copies of the policy and of the address → device map in step, hands its answers and query
 * records to the listener, and starts it again if it dies.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import type { DnsStats, DnsTuning, ListenAddress } from '../../dns/options.js';
import type { ClientDevices, DnsAnswerListener, DnsSettings } from '../../dns/types.js';
import type { FromWorker, PolicySnapshot, ToWorker, WorkerInit } from './messages.js';

const WORKER = new URL('./worker.js', import.meta.url);
/** A policy change waits at most this long for the thread to take it (it takes microseconds). */
const POLICY_ACK_MS = 2_000;
const STOP_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
/**
 * The daemon runs with a small young generation (--max-semi-space-size=2) to keep its memory
 * low; the resolver allocates per query and pays for that in scavenges (~+25 % queries/s with
 * 16 MB semi-spaces in the bench), so its isolate gets more.
 */
const RESOLVER_YOUNG_GENERATION_MB = 48;

export interface DnsThreadOptions {
  listen: ListenAddress[];
  settings: DnsSettings;
  tuning?: Partial<DnsTuning>;
  policy: () => PolicySnapshot;
  clients: ClientDevices & { addressEntries(): Array<[string, number]> };
  listener: DnsAnswerListener;
  /** Allowed queries the thread did not pass on (over its rate; see worker.ts). */
  onQueriesDropped?(count: number): void;
  health?: { raise(code: string, message: string): void; clear(code: string): void };
  log: Logger;
  catalogDir?: string;
}

export class DnsThread {
  readonly #o: DnsThreadOptions;
  #settings: DnsSettings;
  #worker: Worker | null = null;
  #addresses: ListenAddress[] = [];
  #stopping = false;
  #seq = 0;
  readonly #waiting = new Map<number, { resolve: () => void; timer: NodeJS.Timeout }>();
  readonly #statsWaiting = new Map<number, (s: DnsStats) => void>();
  #restartTimer: NodeJS.Timeout | null = null;
  #restarts = 0;
  #lastSync: Promise<void> = Promise.resolve();

  constructor(o: DnsThreadOptions) {
    this.#o = o;
    this.#settings = { ...o.settings, upstreams: [...o.settings.upstreams] };
  }

  get settings(): Readonly<DnsSettings> {
    return this.#settings;
  }

  /** The bound addresses (real ports when port 0 was asked for). */
  addresses(): ListenAddress[] {
    return this.#addresses.map((a) => ({ ...a }));
  }

  /** Resolves once the thread listens; rejects with its bind error (address in use, …). */
  async start(): Promise<void> {
    this.#stopping = false;
    // Port 0 becomes a real port once: a restarted thread binds the same one.
    const listen = this.#addresses.length ? this.#addresses : this.#o.listen;
    const init: WorkerInit = {
      listen,
      settings: this.#settings,
      tuning: this.#o.tuning,
      policy: this.#o.policy(),
      clients: this.#o.clients.addressEntries(),
      logLevel: this.#o.log.level,
      catalogDir: this.#o.catalogDir,
    };
    const worker = new Worker(WORKER, {
      workerData: init,
      resourceLimits: { maxYoungGenerationSizeMb: RESOLVER_YOUNG_GENERATION_MB },
    });
    this.#worker = worker;
    try {
      await new Promise<void>((resolve, reject) => {
        const onEarlyExit = (code: number) =>
          reject(new Error(`dns thread exited (${code}) before listening`));
        worker.once('exit', onEarlyExit);
        worker.on('message', (m: FromWorker) => {
          if (m.type === 'started') {
            worker.off('exit', onEarlyExit);
            this.#addresses = m.addresses;
            resolve();
          } else if (m.type === 'failed') {
            worker.off('exit', onEarlyExit);
            void worker.terminate();
            reject(new Error(m.message));
          } else this.#onMessage(m);
        });
        worker.on('error', (err) => {
          this.#o.log.error({ err }, 'dns thread failed');
          reject(err);
        });
      });
    } catch (err) {
      if (this.#worker === worker) this.#worker = null;
      throw err;
    }
    worker.on('exit', (code) => this.#onExit(worker, code));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    this.#worker = null;
    for (const [, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.#waiting.clear();
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The thread sends its last answers and query records before it exits.
    this.#post(worker, { type: 'stop' });
    const timer = setTimeout(() => void worker.terminate(), STOP_MS);
    await exited;
    clearTimeout(timer);
  }

  updateSettings(partial: Partial<DnsSettings>): void {
    this.#settings = {
      ...this.#settings,
      ...partial,
      upstreams: [...(partial.upstreams ?? this.#settings.upstreams)],
    };
    if (this.#worker) this.#post(this.#worker, { type: 'settings', settings: this.#settings });
  }

  /** Sends the current policy; resolves when the thread decides by it (or after POLICY_ACK_MS). */
  syncPolicy(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return Promise.resolve();
    const seq = ++this.#seq;
    return (this.#lastSync = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        this.#o.log.warn({ seq }, 'dns thread did not confirm a policy change in time');
        resolve();
      }, POLICY_ACK_MS);
      this.#waiting.set(seq, { resolve, timer });
      this.#post(worker, { type: 'policy', seq, policy: this.#o.policy() });
    }));
  }

  /** Resolves when every policy sent so far is in force in the thread. */
  policySynced(): Promise<void> {
    return this.#lastSync;
  }

  syncClients(): void {
    if (this.#worker)
      this.#post(this.#worker, { type: 'clients', clients: this.#o.clients.addressEntries() });
  }

  async stats(): Promise<DnsStats | null> {
    const worker = this.#worker;
    if (!worker) return null;
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#statsWaiting.delete(seq);
        resolve(null);
      }, POLICY_ACK_MS);
      this.#statsWaiting.set(seq, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.#post(worker, { type: 'stats', seq });
    });
  }

  #post(worker: Worker, m: ToWorker) {
    worker.postMessage(m);
  }

  #onMessage(m: FromWorker) {
    const o = this.#o;
    switch (m.type) {
      case 'events':
        // Answers first: a flow opened right after an answer finds its name in the memory.
        for (const a of m.answers) o.listener.onAnswer(a);
        for (const q of m.queries) o.listener.onQuery(q);
        if (m.droppedQueries) o.onQueriesDropped?.(m.droppedQueries);
        break;
      case 'unknownClient':
        o.clients.unknownClient?.(m.address);
        break;
      case 'health':
        if (m.raise) o.health?.raise(m.code, m.message ?? m.code);
        else o.health?.clear(m.code);
        break;
      case 'policyApplied': {
        // Acks come in order: this one covers every earlier change too.
        for (const [seq, w] of this.#waiting) {
          if (seq > m.seq) continue;
          clearTimeout(w.timer);
          this.#waiting.delete(seq);
          w.resolve();
        }
        break;
      }
      case 'log': {
        const { level, bindings, obj, msg } = m.record;
        const log = Object.keys(bindings).length ? o.log.child(bindings) : o.log;
        log[level](obj, msg);
        break;
      }
      case 'stats':
        this.#statsWaiting.get(m.seq)?.(m.stats);
        this.#statsWaiting.delete(m.seq);
        break;
      default:
        break;
    }
  }

  #onExit(worker: Worker, code: number) {
    if (worker !== this.#worker || this.#stopping) return;
    this.#worker = null;
    this.#o.log.error({ code }, 'dns thread died; starting it again');
    this.#scheduleRestart();
  }

  #scheduleRestart() {
    const delay = Math.min(RESTART_DELAY_MS * 2 ** this.#restarts, 30_000);
    this.#restarts += 1;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping) return;
      this.start().then(
        () => {
          this.#restarts = 0;
          this.#o.log.info('dns thread serving again');
        },
        (err: unknown) => {
          this.#o.log.error({ err, retryInMs: delay * 2 }, 'dns thread could not start again');
          if (!this.#stopping) this.#scheduleRestart();
        },
      );
    }, delay);
  }
}
