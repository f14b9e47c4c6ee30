/**
 * Windows socket owners: `netstat -ano` each poll (tens of milliseconds, unlike a PowerShell start),
 * and for pids not seen before one PowerShell `Get-Process` with Path, Product and UserName, falling
 * back to `tasklist /fo csv` (image names only) when PowerShell fails.
 *
 * Windows keeps no remote address for UDP endpoints, so only TCP flows can be attributed here.
 */
import { runChecked, type CommandRunner } from '../os/runner.js';
import type { Clock } from '../os/clock.js';
import { AppCache } from './app-cache.js';
import type { AppInfo, SocketCollector, SocketOwner } from './collector.js';
import { getProcessScript, parseGetProcessJson, parseNetstatAno, parseTasklistCsv } from './windows-parse.js';

/** pid 0 (System Idle Process) and 4 (System, kernel-mode sockets such as SMB) are not apps. */
const SYSTEM_PIDS = new Set([0, 4]);

export const NETSTAT_ARGS = ['-ano'] as const;

export class WindowsCollector implements SocketCollector {
  readonly name = 'windows/netstat';
  malformed: string[] = [];
  readonly #apps: AppCache;

  constructor(
    private readonly runner: CommandRunner,
    clock: Clock,
  ) {
    this.#apps = new AppCache((pids) => this.#describe(pids), clock);
  }

  async snapshot(): Promise<SocketOwner[]> {
    const { rows, malformed } = parseNetstatAno(await runChecked(this.runner, 'netstat', NETSTAT_ARGS));
    this.malformed = malformed;
    const owned = rows.filter((r) => !SYSTEM_PIDS.has(r.pid));
    const apps = await this.#apps.lookup(owned.map((r) => r.pid));
    return owned.flatMap((r) => {
      const app = apps.get(r.pid);
      if (!app) return [];
      return [{ proto: r.proto, local: r.local, remote: r.remote, listening: r.listening, pid: r.pid, app }];
    });
  }

  async #describe(pids: number[]): Promise<Map<number, AppInfo>> {
    try {
      const out = await runChecked(
        this.runner,
        'powershell.exe',
        ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', getProcessScript(pids)],
        { timeoutMs: 20_000 },
      );
      const apps = parseGetProcessJson(out);
      if (apps.size > 0) return apps;
    } catch {
      /* PowerShell missing or blocked by policy: tasklist below */
    }
    return parseTasklistCsv(await runChecked(this.runner, 'tasklist', ['/fo', 'csv', '/nh']));
  }
}
