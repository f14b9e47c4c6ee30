/** The blocker for this OS: Linux and Windows enforce, everything else is report-only. */
import type { Clock } from '../os/clock.js';
import type { HostFiles } from '../os/files.js';
import type { CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import type { StateDir } from '../state/state-dir.js';
import { ReportOnlyBlocker, type AppBlocker } from './blocker.js';
import { LinuxBlocker } from './block.linux.js';
import { WindowsBlocker, type FirewallRules } from './block.windows.js';

export interface BlockerDeps {
  runner: CommandRunner;
  files: HostFiles;
  clock: Clock;
  log: Logger;
  state: StateDir;
}

export function blockerFor(platform: string, deps: BlockerDeps): AppBlocker {
  const log = deps.log.child({ module: 'block' });
  switch (platform) {
    case 'linux':
      return new LinuxBlocker({ runner: deps.runner, files: deps.files, clock: deps.clock, log });
    case 'win32':
      return new WindowsBlocker({
        runner: deps.runner,
        log,
        loadRules: async () =>
          ((await deps.state.readJson(deps.state.windowsRulesFile)) ?? {}) as FirewallRules,
        saveRules: (rules) => deps.state.writeJson(deps.state.windowsRulesFile, rules),
      });
    default:
      return new ReportOnlyBlocker(log, platform);
  }
}
