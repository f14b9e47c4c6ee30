/**
 * Answer cache keyed by (lower-case name, qtype, qclass, DO). Names are the Map key and the few
 * variants of one name (A, AAAA, HTTPS…) hang off it in a small array, so a hit costs one Map
 * lookup on a string the parser already made, with no key concatenation.
 *
 * Eviction is second-chance FIFO (CLOCK): Map order is insertion order, a hit only sets a flag,
 * and the evictor gives flagged names one more round. That keeps hits free of Map reordering,
 * which true LRU would need on every lookup.
 */
import type { Answer } from './response.js';

export interface CacheEntry {
  readonly qtype: number;
  readonly qclass: number;
  readonly dnssecOk: boolean;
  readonly answer: Answer;
  /** Clock ms when the answer arrived; the hit path ages TTLs by (now - storedAt). */
  readonly storedAt: number;
  readonly expiresAt: number;
}

interface NameSlot {
  entries: CacheEntry[];
  referenced: boolean;
}

export interface DnsCacheOptions {
  maxEntries: number;
  now: () => number;
}

export class DnsCache {
  readonly #byName = new Map<string, NameSlot>();
  readonly #max: number;
  readonly #now: () => number;
  #size = 0;

  constructor(opts: DnsCacheOptions) {
    this.#max = Math.max(1, opts.maxEntries);
    this.#now = opts.now;
  }

  get size(): number {
    return this.#size;
  }

  /** The live entry, or undefined. `now` is passed in because the hot path already read the clock. */
  get(name: string, qtype: number, qclass: number, dnssecOk: boolean, now: number): CacheEntry | undefined {
    const slot = this.#byName.get(name);
    if (slot === undefined) return undefined;
    const entries = slot.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.qtype !== qtype || e.qclass !== qclass || e.dnssecOk !== dnssecOk) continue;
      if (now >= e.expiresAt) {
        this.#removeAt(name, slot, i);
        return undefined;
      }
      slot.referenced = true;
      return e;
    }
    return undefined;
  }

  /** Stores an answer whose ttl > 0; replaces the same key. Returns the entry, or null if not cacheable. */
  set(name: string, qtype: number, qclass: number, dnssecOk: boolean, answer: Answer): CacheEntry | null {
    if (answer.ttl <= 0) return null;
    const storedAt = this.#now();
    const entry: CacheEntry = {
      qtype,
      qclass,
      dnssecOk,
      answer,
      storedAt,
      expiresAt: storedAt + answer.ttl * 1000,
    };
    let slot = this.#byName.get(name);
    if (slot === undefined) {
      slot = { entries: [entry], referenced: false };
      this.#byName.set(name, slot);
      this.#size++;
    } else {
      const i = slot.entries.findIndex(
        (e) => e.qtype === qtype && e.qclass === qclass && e.dnssecOk === dnssecOk,
      );
      if (i >= 0) slot.entries[i] = entry;
      else {
        slot.entries.push(entry);
        this.#size++;
      }
    }
    if (this.#size > this.#max) this.#evict(storedAt);
    return entry;
  }

  clear(): void {
    this.#byName.clear();
    this.#size = 0;
  }

  #removeAt(name: string, slot: NameSlot, i: number): void {
    slot.entries.splice(i, 1);
    this.#size--;
    if (slot.entries.length === 0) this.#byName.delete(name);
  }

  #evict(now: number): void {
    // Two laps at most: the first clears every reference flag it passes, so the second evicts.
    let budget = this.#byName.size * 2;
    for (const [name, slot] of this.#byName) {
      if (this.#size <= this.#max || budget-- <= 0) return;
      const live = slot.entries.filter((e) => now < e.expiresAt);
      if (live.length !== slot.entries.length) {
        this.#size -= slot.entries.length - live.length;
        slot.entries = live;
      }
      this.#byName.delete(name);
      if (live.length === 0) continue;
      if (slot.referenced) {
        slot.referenced = false;
        this.#byName.set(name, slot);
      } else {
        this.#size -= live.length;
      }
    }
  }
}
