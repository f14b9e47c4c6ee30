/**
 * Reconnect delays: 1 s, 2 s, 4 s … up to 60 s, each ±20 % so that agents that lost the gateway
 * together do not come back in lockstep.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0.2 = ±20 %. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  #attempt = 0;
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialMs ?? 1000;
    this.#max = options.maxMs ?? 60_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** Failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The step before jitter for the next delay (what a log line says). */
  get stepMs(): number {
    return Math.min(this.#max, this.#initial * this.#factor ** this.#attempt);
  }

  /** The delay before the next try; each call moves one step up. */
  next(): number {
    const base = this.stepMs;
    this.#attempt++;
    const delay = base * (1 - this.#jitter + 2 * this.#jitter * this.#random());
    return Math.round(Math.min(this.#max, delay));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
