import type { DnsQueryRecord } from '../dns/types.js';
import type { Logger } from '../log.js';

export interface QueryLogSink {
  append(records: readonly DnsQueryRecord[]): Promise<void>;
}

/**
 * Buffers query records from the DNS hot path and writes them in batches. The buffer is
 * bounded: under a flood the log loses entries (counted, reported in health), never the
 * resolver its memory. A failed write keeps the batch for the next try, within the same bound.
 */
export class QueryLogWriter {
  #buffer: DnsQueryRecord[] = [];
  #dropped = 0;

  constructor(
    private readonly sink: QueryLogSink,
    private readonly log: Logger,
    private readonly maxBuffered = 10_000,
    /**
     * Rows per write. The embedded database runs on the daemon's own thread: one big insert
     * would stall the resolver, so under a flood the log keeps a steady trickle and drops the rest.
     */
    private readonly maxPerFlush = 2_000,
  ) {}

  /** Records lost to a full buffer since start. */
  get dropped(): number {
    return this.#dropped;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Records lost before they reached this writer (the DNS thread's own rate limit). */
  noteDropped(count: number): void {
    this.#dropped += count;
  }

  push(record: DnsQueryRecord): void {
    if (this.#buffer.length >= this.maxBuffered) {
      this.#dropped += 1;
      return;
    }
    this.#buffer.push(record);
  }

  async flush(): Promise<number> {
    if (!this.#buffer.length) return 0;
    const batch = this.#buffer.slice(0, this.maxPerFlush);
    this.#buffer = this.#buffer.slice(batch.length);
    try {
      await this.sink.append(batch);
    } catch (err) {
      const room = Math.max(0, this.maxBuffered - this.#buffer.length);
      this.#dropped += Math.max(0, batch.length - room);
      this.#buffer = batch.slice(0, room).concat(this.#buffer);
      this.log.warn({ err, records: batch.length }, 'query log write failed; will retry');
      throw err;
    }
    return batch.length;
  }
}
