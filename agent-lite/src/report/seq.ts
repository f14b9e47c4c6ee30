/**
 * Report numbers that keep increasing across restarts: the file holds a number no report has used
 * yet; numbers are handed out from memory and the file is moved ahead one block at a time, so a
 * crash skips some numbers but never reuses one.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export class SeqAllocator {
  #next: number;
  #reservedUntil: number;

  private constructor(
    private readonly file: string,
    start: number,
    private readonly block: number,
  ) {
    this.#next = start;
    this.#reservedUntil = start;
  }

  /** Opens (or starts) the counter; `atLeast` is one more than the highest seq still buffered. */
  static open(file: string, options: { atLeast?: number; block?: number } = {}): SeqAllocator {
    let stored = 0;
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      if (Number.isSafeInteger(n) && n >= 0) stored = n;
    } catch {
      /* first start, or the file was lost: atLeast keeps us ahead of buffered reports */
    }
    return new SeqAllocator(file, Math.max(stored, options.atLeast ?? 0), options.block ?? 1000);
  }

  next(): number {
    if (this.#next >= this.#reservedUntil) {
      this.#reservedUntil = this.#next + this.block;
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, `${this.#reservedUntil}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    }
    return this.#next++;
  }
}
