/**
 * Who owns which socket: one interface, one implementation per operating system (by file:
 * collector.linux.ts, collector.windows.ts, collector.darwin.ts) and an explicit "unsupported"
 * collector for everything else.
 */
import type { CommandRunner } from '../os/runner.js';
import type { HostFiles } from '../os/files.js';
import type { Clock } from '../os/clock.js';

export type Proto = 'tcp' | 'udp';

export interface Endpoint {
  /** Normalised: IPv4 dotted quad (also for IPv4-mapped IPv6), IPv6 lower-case without zone. */
  address: string;
  /** 0 when the socket has no remote (unconnected UDP, listeners). */
  port: number;
}

export interface AppInfo {
  /** Product or bundle name where the OS has one, else the executable's base name. */
  name: string;
  /** The executable's full path, when it can be read. */
  path?: string;
  /** The user the process runs as (name, or the numeric id when it has no name). */
  user?: string;
}

export interface SocketOwner {
  proto: Proto;
  /** This machine's side. */
  local: Endpoint;
  remote: Endpoint;
  /** A listening socket (TCP LISTEN); never a flow. */
  listening: boolean;
  pid: number;
  app: AppInfo;
}

export interface SocketCollector {
  /** e.g. "linux/ss", "windows/netstat", "darwin/lsof". */
  readonly name: string;
  /** The sockets of this machine that a process owns right now (sockets without an owner are left out). */
  snapshot(): Promise<SocketOwner[]>;
}

export class UnsupportedPlatformError extends Error {
  constructor(readonly platform: string) {
    super(`socket attribution is not supported on ${platform} (linux, win32 and darwin are)`);
    this.name = 'UnsupportedPlatformError';
  }
}

/** What every platform other than Linux, Windows and macOS gets: it says so, it never guesses. */
export class UnsupportedCollector implements SocketCollector {
  readonly name: string;
  constructor(readonly platform: string) {
    this.name = `${platform}/unsupported`;
  }
  snapshot(): Promise<SocketOwner[]> {
    return Promise.reject(new UnsupportedPlatformError(this.platform));
  }
}

export interface CollectorDeps {
  runner: CommandRunner;
  files: HostFiles;
  clock: Clock;
  /** Linux only: which source of socket owners; see docs/agent-lite.md for the measurement. */
  linuxMethod?: 'ss' | 'ss-users' | 'procfs';
}

/** The collector for a platform (`process.platform`). */
export async function collectorFor(platform: string, deps: CollectorDeps): Promise<SocketCollector> {
  switch (platform) {
    case 'linux': {
      const { linuxCollector } = await import('./collector.linux.js');
      return linuxCollector(deps);
    }
    case 'win32': {
      const { WindowsCollector } = await import('./collector.windows.js');
      return new WindowsCollector(deps.runner, deps.clock);
    }
    case 'darwin': {
      const { DarwinCollector } = await import('./collector.darwin.js');
      return new DarwinCollector(deps.runner, deps.clock);
    }
    default:
      return new UnsupportedCollector(platform);
  }
}
