/**
 * macOS socket owners: `lsof -nP -i -F …` (field output meant for programs), and for pids not seen
 * before one `ps -o pid=,user=,comm=` for the executable path (→ bundle name) and the user.
 * lsof walks every process's files, so it is slower than Linux's ss: see docs/agent-lite.md.
 */
import type { CommandRunner } from '../os/runner.js';
import { CommandError, runChecked } from '../os/runner.js';
import type { Clock } from '../os/clock.js';
import { AppCache } from './app-cache.js';
import type { AppInfo, SocketCollector, SocketOwner } from './collector.js';
import { LSOF_ARGS, macAppFromPath, parseLsofFields, parsePsComm } from './darwin-parse.js';

export class DarwinCollector implements SocketCollector {
  readonly name = 'darwin/lsof';
  malformed: string[] = [];
  readonly #apps: AppCache;

  constructor(
    private readonly runner: CommandRunner,
    clock: Clock,
  ) {
    this.#apps = new AppCache((pids) => this.#describe(pids), clock);
  }

  async snapshot(): Promise<SocketOwner[]> {
    const result = await this.runner.run('lsof', LSOF_ARGS, { timeoutMs: 20_000 });
    // lsof exits 1 when it found no file to list: no sockets at all, not a failure.
    if (result.code !== 0 && !(result.code === 1 && result.stdout.trim() === '')) {
      throw new CommandError('lsof', LSOF_ARGS, result);
    }
    const { sockets, malformed } = parseLsofFields(result.stdout);
    this.malformed = malformed;
    const apps = await this.#apps.lookup(sockets.map((s) => s.pid));
    return sockets.map((s) => ({
      proto: s.proto,
      local: s.local,
      remote: s.remote,
      listening: s.state === 'LISTEN',
      pid: s.pid,
      app: apps.get(s.pid) ?? {
        ...macAppFromPath(s.command),
        ...(s.uid === undefined ? {} : { user: String(s.uid) }),
      },
    }));
  }

  async #describe(pids: number[]): Promise<Map<number, AppInfo>> {
    const out = await runChecked(this.runner, 'ps', ['-o', 'pid=,user=,comm=', '-p', pids.join(',')]).catch(
      // ps exits 1 when one of the pids is gone; what it printed for the others still counts.
      (err: unknown) => (err instanceof CommandError ? err.result.stdout : ''),
    );
    return parsePsComm(out);
  }
}
