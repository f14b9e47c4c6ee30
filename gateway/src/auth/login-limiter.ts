/**
 * Failed-login limiter, per key (the API uses one key for the client address and one for the
 * username). After `maxFailures` failures within `windowMs`, the key is locked: every attempt is
 * refused — right password or not — until the lock ends. The first lock lasts one window; a key
 * locked again before it has been quiet for `forgetMs` gets twice the previous lock, up to
 * `maxLockMs` (back-off for repeat offenders).
 *
 * Memory is bounded: entries whose failures and lock have lapsed are dropped as they are met, and
 * at `maxEntries` the least recently used entry is evicted.
 */
export interface LoginLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxLockMs?: number;
  /** A key this long without a failure starts again from a one-window lock. */
  forgetMs?: number;
  maxEntries?: number;
  /** Milliseconds since the epoch; injected so tests move time by hand. */
  now?: () => number;
}

interface Entry {
  /** Failure times within the window, oldest first. */
  failures: number[];
  lockedUntil: number;
  /** How many times the key was locked (sets the next lock's length). */
  locks: number;
  lastFailure: number;
}

export class LoginLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxLockMs: number;
  readonly #forgetMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order is recency order: an entry is re-inserted whenever it is touched. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: LoginLimiterOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxLockMs = options.maxLockMs ?? 15 * 60_000;
    this.#forgetMs = options.forgetMs ?? 60 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until any of the keys may try again; 0 when all may try now. */
  retryAfterMs(keys: readonly string[]): number {
    const now = this.#now();
    let wait = 0;
    for (const key of keys) {
      const e = this.#live(key, now);
      if (e && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    return wait;
  }

  /** Counts a failed attempt against every key. */
  fail(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const e = this.#live(key, now) ?? { failures: [], lockedUntil: 0, locks: 0, lastFailure: 0 };
      if (now - e.lastFailure >= this.#forgetMs) e.locks = 0;
      e.lastFailure = now;
      e.failures.push(now);
      if (e.failures.length >= this.#max) {
        e.lockedUntil = now + Math.min(this.#windowMs * 2 ** e.locks, this.#maxLockMs);
        e.locks += 1;
        e.failures = [];
      }
      this.#put(key, e);
    }
  }

  /** A right password clears the key's failures (not its lock history). */
  succeed(keys: readonly string[]): void {
    const now = this.#now();
    for (const key of keys) {
      const e = this.#live(key, now);
      if (e) e.failures = [];
    }
  }

  /** Entries held now (for tests and the memory bound). */
  get size(): number {
    return this.#entries.size;
  }

  /** The key's entry with failures outside the window dropped; undefined (and deleted) once lapsed. */
  #live(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#prune(e, now);
    if (this.#lapsed(e, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #prune(e: Entry, now: number): void {
    const from = now - this.#windowMs;
    let i = 0;
    while (i < e.failures.length && e.failures[i]! <= from) i++;
    if (i > 0) e.failures.splice(0, i);
  }

  #lapsed(e: Entry, now: number): boolean {
    return e.failures.length === 0 && e.lockedUntil <= now && now - e.lastFailure >= this.#forgetMs;
  }

  #put(key: string, e: Entry): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const now = this.#now();
      for (const [k, old] of this.#entries) {
        this.#prune(old, now);
        if (this.#lapsed(old, now)) this.#entries.delete(k);
      }
      // Still full: the least recently used goes.
      while (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next().value;
        if (oldest === undefined) break;
        this.#entries.delete(oldest);
      }
    }
    this.#entries.set(key, e);
  }
}

/** The limiter key of a client address. */
export function ipKey(ip: string): string {
  return `ip:${ip}`;
}

/** The limiter key of a username (case-insensitive, as usernames are). */
export function userKey(username: string): string {
  return `user:${username.trim().toLowerCase()}`;
}
