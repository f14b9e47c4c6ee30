/**
 * Local blocking of apps named in the gateway's policy (`policy.blockedApps`). One interface, one
 * implementation per OS by file (block.linux.ts, block.windows.ts); macOS and the rest are
 * report-only: they keep the policy and say in hello that they cannot enforce it.
 */
import type { AgentHello } from '@packetpilot/protocol';
import type { AppInfo, SocketOwner } from '../collect/collector.js';
import type { Logger } from '../log.js';

export type BlockingMode = NonNullable<AgentHello['blocking']>;

export interface AppBlocker {
  /** What hello tells the gateway; may turn to 'unavailable' when the OS refuses (no privileges). */
  readonly mode: BlockingMode;
  /** The whole policy (not a delta). Never throws: failures are logged and change `mode`. */
  apply(blockedApps: readonly string[]): Promise<void>;
  /** Called with every snapshot: catches blocked apps that started or opened sockets since. */
  enforce(owners: readonly SocketOwner[]): Promise<void>;
  /** Removes everything the agent installed (service stop, --cleanup). */
  cleanup(): Promise<void>;
  /** Stops its timers; what it installed stays (the agent is shutting down, blocks persist). */
  close(): void;
}

/**
 * Whether an app is on the list: its name, case-insensitively (the name the agent reported, so
 * what the admin picked in the UI); an entry with a slash or backslash is an executable path.
 */
export function appMatches(app: AppInfo, blocked: readonly string[]): boolean {
  const name = app.name.toLowerCase();
  const path = app.path?.toLowerCase();
  return blocked.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e === '') return false;
    return /[\\/]/.test(e) ? e === path : e === name;
  });
}

export class ReportOnlyBlocker implements AppBlocker {
  readonly mode: BlockingMode = 'report-only';
  #warned = false;

  constructor(
    private readonly log: Logger,
    private readonly platform: string,
  ) {}

  apply(blockedApps: readonly string[]): Promise<void> {
    if (blockedApps.length > 0 && !this.#warned) {
      this.#warned = true;
      this.log.warn(
        { blockedApps, platform: this.platform },
        'this agent cannot block apps on this OS (report-only); the gateway blocks what it can by address',
      );
    }
    return Promise.resolve();
  }

  enforce(): Promise<void> {
    return Promise.resolve();
  }

  cleanup(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}
