/**
 * Flow changes → `flows` reports: a report goes out 250 ms after its first entry, or at once when it
 * reaches 200 entries or would no longer fit a gateway frame (64 KiB). Each gets the next `seq`.
 */
import type { AgentFlows, FlowOpened, FlowTuple } from '@packetpilot/protocol';
import type { Cancel, Clock } from '../os/clock.js';
import type { FlowChanges } from './tracker.js';

export interface BatcherOptions {
  clock: Clock;
  /** The next report number (persisted, so it keeps increasing across restarts). */
  nextSeq: () => number;
  emit: (report: AgentFlows) => void;
  maxDelayMs?: number;
  maxEntries?: number;
  /** JSON size of one report; the gateway accepts frames up to 64 KiB. */
  maxBytes?: number;
}

/** `{"type":"flows","seq":…,"at":"…","opened":[],"closed":[]}` plus separators, generously. */
const ENVELOPE_BYTES = 120;

export class FlowBatcher {
  #opened: FlowOpened[] = [];
  #closed: FlowTuple[] = [];
  #bytes = ENVELOPE_BYTES;
  #timer: Cancel | undefined;
  readonly #maxDelayMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  constructor(private readonly options: BatcherOptions) {
    this.#maxDelayMs = options.maxDelayMs ?? 250;
    this.#maxEntries = options.maxEntries ?? 200;
    this.#maxBytes = options.maxBytes ?? 60_000;
  }

  get pending(): number {
    return this.#opened.length + this.#closed.length;
  }

  add(changes: FlowChanges): void {
    for (const o of changes.opened) this.#push(o, 'opened');
    for (const c of changes.closed) this.#push(c, 'closed');
  }

  /** Sends what is waiting now (shutdown, tests). */
  flush(): void {
    this.#timer?.();
    this.#timer = undefined;
    if (this.pending === 0) return;
    const report: AgentFlows = {
      type: 'flows',
      seq: this.options.nextSeq(),
      at: new Date(this.options.clock.now()).toISOString(),
      opened: this.#opened,
      closed: this.#closed,
    };
    this.#opened = [];
    this.#closed = [];
    this.#bytes = ENVELOPE_BYTES;
    this.options.emit(report);
  }

  #push(entry: FlowOpened | FlowTuple, kind: 'opened' | 'closed'): void {
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (this.pending > 0 && this.#bytes + size > this.#maxBytes) this.flush();
    if (kind === 'opened') this.#opened.push(entry as FlowOpened);
    else this.#closed.push(entry);
    this.#bytes += size;
    if (this.pending >= this.#maxEntries) this.flush();
    else this.#timer ??= this.options.clock.after(this.#maxDelayMs, () => this.flush());
  }
}
