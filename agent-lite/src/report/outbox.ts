/**
 * Reports waiting for the gateway's ack, bounded (default 5 MiB of JSON or 10 000 reports; the oldest
 * are dropped and counted) and kept on disk as JSON lines in the state directory. A report goes to
 * disk only if it is not acknowledged within a second, so a connected agent hardly writes at all;
 * acknowledged lines are removed by rewriting the file once enough of it is stale.
 */
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { Compile } from 'typebox/compile';
import { AgentFlows } from '@packetpilot/protocol';
import type { Cancel, Clock } from '../os/clock.js';
import type { Logger } from '../log.js';

const checkFlows = Compile(AgentFlows);

export interface OutboxOptions {
  /** JSON lines file, e.g. <state dir>/outbox.jsonl. */
  file: string;
  clock: Clock;
  log: Logger;
  maxBytes?: number;
  maxReports?: number;
  /** Reports not acknowledged this long after they were added are written to disk. */
  persistAfterMs?: number;
  /** Stale bytes in the file that trigger a rewrite. */
  compactAfterBytes?: number;
}

export interface OutboxEntry {
  seq: number;
  /** The report as sent: one JSON text frame. */
  json: string;
  bytes: number;
  flows: number;
  addedAt: number;
  onDisk: boolean;
}

export class Outbox {
  readonly #entries = new Map<number, OutboxEntry>();
  #bytes = 0;
  /** Bytes in the file that belong to reports no longer waiting. */
  #stale = 0;
  #io: Promise<void> = Promise.resolve();
  #timer: Cancel | undefined;
  #diskError: string | undefined;
  dropped = 0;
  droppedFlows = 0;
  readonly #maxBytes: number;
  readonly #maxReports: number;
  readonly #persistAfterMs: number;
  readonly #compactAfterBytes: number;

  private constructor(private readonly options: OutboxOptions) {
    this.#maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.#maxReports = options.maxReports ?? 10_000;
    this.#persistAfterMs = options.persistAfterMs ?? 1000;
    this.#compactAfterBytes = options.compactAfterBytes ?? 1024 * 1024;
  }

  /** Loads what an earlier run left (unreadable lines are skipped and logged). */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const box = new Outbox(options);
    let text = '';
    try {
      text = await readFile(options.file, 'utf8');
    } catch {
      return box;
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let report: unknown;
      try {
        report = JSON.parse(line);
      } catch {
        report = undefined;
      }
      if (!checkFlows.Check(report)) {
        bad++;
        box.#stale += Buffer.byteLength(line) + 1;
        continue;
      }
      box.#insert(report, line, true);
    }
    if (bad > 0) options.log.warn({ file: options.file, lines: bad }, 'outbox: skipped unreadable lines');
    return box;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The highest seq waiting, if any. */
  get maxSeq(): number | undefined {
    let max: number | undefined;
    for (const seq of this.#entries.keys()) max = seq;
    return max;
  }

  /** Waiting reports, oldest first. */
  entries(): IterableIterator<OutboxEntry> {
    return this.#entries.values();
  }

  add(report: AgentFlows): void {
    this.#insert(report, JSON.stringify(report), false);
    this.#schedule();
  }

  /** The gateway kept this report: forget it (its line leaves the file with the next rewrite). */
  ack(seq: number): boolean {
    const entry = this.#entries.get(seq);
    if (!entry) return false;
    this.#remove(entry);
    if (entry.onDisk) this.#schedule();
    return true;
  }

  /** Writes waiting reports older than minAgeMs to disk (all of them with 0), then compacts. */
  persist(minAgeMs = 0): Promise<void> {
    const now = this.options.clock.now();
    return this.#serial(async () => {
      const due = [...this.#entries.values()].filter((e) => !e.onDisk && now - e.addedAt >= minAgeMs);
      if (this.#stale >= this.#compactAfterBytes || (this.#stale > 0 && this.#entries.size === 0)) {
        await this.#rewrite();
      } else if (due.length > 0) {
        await appendFile(this.options.file, due.map((e) => `${e.json}\n`).join(''), { mode: 0o600 });
        for (const e of due) e.onDisk = true;
      }
      if ([...this.#entries.values()].some((e) => !e.onDisk)) this.#schedule();
    });
  }

  /** Shutdown: everything waiting goes to disk. */
  async close(): Promise<void> {
    this.#timer?.();
    this.#timer = undefined;
    await this.persist(0);
    await this.#io;
  }

  #schedule(): void {
    this.#timer ??= this.options.clock.after(this.#persistAfterMs, () => {
      this.#timer = undefined;
      void this.persist(this.#persistAfterMs);
    });
  }

  #insert(report: AgentFlows, json: string, onDisk: boolean): void {
    const entry: OutboxEntry = {
      seq: report.seq,
      json,
      bytes: Buffer.byteLength(json) + 1,
      flows: report.opened.length + report.closed.length,
      addedAt: this.options.clock.now(),
      onDisk,
    };
    const old = this.#entries.get(entry.seq);
    if (old) this.#remove(old);
    this.#entries.set(entry.seq, entry);
    this.#bytes += entry.bytes;
    while (this.#entries.size > this.#maxReports || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.values().next().value;
      if (!oldest) break;
      this.#remove(oldest);
      this.dropped++;
      this.droppedFlows += oldest.flows;
      if (this.dropped === 1 || this.dropped % 1000 === 0) {
        this.options.log.warn(
          { dropped: this.dropped, droppedFlows: this.droppedFlows },
          'outbox full while the gateway is away: dropping the oldest reports',
        );
      }
    }
  }

  #remove(entry: OutboxEntry): void {
    this.#entries.delete(entry.seq);
    this.#bytes -= entry.bytes;
    if (entry.onDisk) this.#stale += entry.bytes;
  }

  async #rewrite(): Promise<void> {
    const live = [...this.#entries.values()];
    const tmp = `${this.options.file}.tmp`;
    await writeFile(tmp, live.map((e) => `${e.json}\n`).join(''), { mode: 0o600 });
    await rename(tmp, this.options.file);
    for (const e of live) e.onDisk = true;
    this.#stale = 0;
  }

  /** Disk work one step at a time; a failing disk is logged (once per error) and never thrown. */
  #serial(step: () => Promise<void>): Promise<void> {
    this.#io = this.#io.then(step).then(
      () => {
        this.#diskError = undefined;
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.#diskError) {
          this.options.log.warn({ err: message }, 'outbox: cannot write to disk; keeping reports in memory');
        }
        this.#diskError = message;
      },
    );
    return this.#io;
  }
}
