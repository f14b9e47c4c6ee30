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
    private readonly maxBuffered = 50_000,
  ) {}

  /** Records lost to a full buffer since start. */
  get dropped(): number {
    return this.#dropped;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  push(record: DnsQueryRecord): void {
    if (this.#buffer.length >= this.maxBuffered) {
      this.#dropped += 1;
      return;
    }
    this.#buffer.push(record);
  }

  async flush(): Promise<number> {
    const batch = this.#buffer;
    if (!batch.length) return 0;
    this.#buffer = [];
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
