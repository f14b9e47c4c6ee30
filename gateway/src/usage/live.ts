import type { LiveRates } from '@packetpilot/protocol';

export type LiveListener = (frame: LiveRates) => void;

/**
 * Fan-out of per-second rate frames to WebSocket clients. The sampler asks `watched` so it can
 * sample at full rate only while someone is looking (LESSONS: live rates cost CPU).
 */
export class LiveFeed {
  readonly #listeners = new Set<LiveListener>();

  subscribe(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get watched(): boolean {
    return this.#listeners.size > 0;
  }

  publish(frame: LiveRates): void {
    for (const listener of this.#listeners) {
      try {
        listener(frame);
      } catch {
        // one broken socket must not stop the others; its close handler unsubscribes it
      }
    }
  }
}
