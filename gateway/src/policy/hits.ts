import type { Logger } from '../log.js';
import type { RuleHits } from './rule-store.js';

export interface HitSink {
  addHits(hits: ReadonlyMap<number, RuleHits>): Promise<number>;
}

/**
 * Counts rule hits (blocked queries, dropped flows) in memory and adds them to the rules table in
 * batches: the DNS hot path must not wait on the database.
 */
export class HitCounter {
  #pending = new Map<number, RuleHits>();

  constructor(
    private readonly sink: HitSink,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  hit(ruleId: number, count: number): void {
    const cur = this.#pending.get(ruleId);
    if (cur) {
      cur.count += count;
      cur.lastAt = this.now();
    } else this.#pending.set(ruleId, { count, lastAt: this.now() });
  }

  async flush(): Promise<void> {
    if (!this.#pending.size) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.sink.addHits(batch);
    } catch (err) {
      // Put them back: hits are counts, losing them would under-report why things were blocked.
      for (const [id, h] of batch) this.hit(id, h.count);
      this.log.warn({ err, rules: batch.size }, 'could not store rule hits; will retry');
    }
  }
}
