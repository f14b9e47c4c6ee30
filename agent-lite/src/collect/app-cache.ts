/**
 * pid → app for collectors whose process details cost a tool run (PowerShell, ps): unknown pids
 * of a snapshot are described in one call; entries live while their pid keeps showing up.
 */
import type { Clock } from '../os/clock.js';
import type { AppInfo } from './collector.js';

export type DescribePids = (pids: number[]) => Promise<Map<number, AppInfo>>;

/** Re-read an entry after this long, in case the pid was reused. */
const TTL_MS = 60_000;

export class AppCache {
  readonly #apps = new Map<number, { app: AppInfo; at: number }>();

  constructor(
    private readonly describe: DescribePids,
    private readonly clock: Clock,
  ) {}

  /** The apps of these pids (those that could be described); forgets every other pid. */
  async lookup(pids: Iterable<number>): Promise<Map<number, AppInfo>> {
    const now = this.clock.now();
    const wanted = new Set(pids);
    for (const pid of this.#apps.keys()) if (!wanted.has(pid)) this.#apps.delete(pid);
    const missing = [...wanted].filter((pid) => {
      const hit = this.#apps.get(pid);
      return !hit || now - hit.at > TTL_MS;
    });
    if (missing.length > 0) {
      const found = await this.describe(missing);
      for (const [pid, app] of found) if (wanted.has(pid)) this.#apps.set(pid, { app, at: now });
    }
    const result = new Map<number, AppInfo>();
    for (const pid of wanted) {
      const hit = this.#apps.get(pid);
      if (hit) result.set(pid, hit.app);
    }
    return result;
  }
}
