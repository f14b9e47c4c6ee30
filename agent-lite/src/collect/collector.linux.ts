/**
 * Linux socket owners, three ways behind SocketCollector (docs/agent-lite.md has the measurement):
 *  - `ss` (default): the socket list from one sock_diag netlink dump (`ss -tunOHe`, with inodes),
 *    owners from our own inode → pid map, which reads /proc/<pid>/fd only for new sockets;
 *  - `ss-users`: `ss -tunpOH`, where iproute2 maps owners itself by reading every process's fds
 *    on every poll (`users:(("curl",pid=123,fd=5))`);
 *  - `procfs`: /proc/net/{tcp,tcp6,udp,udp6} text plus the same inode map (no ss needed).
 */
import { endianness } from 'node:os';
import { errnoCode, type HostFiles } from '../os/files.js';
import { runChecked, type CommandRunner } from '../os/runner.js';
import type { Clock } from '../os/clock.js';
import type { AppInfo, CollectorDeps, Endpoint, Proto, SocketCollector, SocketOwner } from './collector.js';
import { InodeOwners } from './inode-owners.linux.js';
import { parseSs, SS_ARGS, SS_USERS_ARGS } from './linux-ss.js';
import { parseProcNet, TCP_CLOSE, TCP_LISTEN, TCP_TIME_WAIT } from './linux-procnet.js';
import { LinuxProcessInfo } from './procinfo.linux.js';

interface Owned {
  proto: Proto;
  local: Endpoint;
  remote: Endpoint;
  listening: boolean;
  pid: number;
}

/** Resolves each pid once per snapshot, however many sockets it holds. */
async function withApps(info: LinuxProcessInfo, items: readonly Owned[]): Promise<SocketOwner[]> {
  const apps = new Map<number, Promise<AppInfo | null>>();
  for (const { pid } of items) if (!apps.has(pid)) apps.set(pid, info.app(pid));
  const owners: SocketOwner[] = [];
  for (const item of items) {
    const app = await apps.get(item.pid);
    if (app) owners.push({ ...item, app });
  }
  info.retain(new Set(apps.keys()));
  return owners;
}

export class LinuxSsCollector implements SocketCollector {
  readonly name = 'linux/ss';
  malformed: string[] = [];
  readonly owners: InodeOwners;

  constructor(
    private readonly runner: CommandRunner,
    files: HostFiles,
    private readonly info: LinuxProcessInfo,
    clock: Clock,
  ) {
    this.owners = new InodeOwners(files, clock);
  }

  async snapshot(): Promise<SocketOwner[]> {
    const { sockets, malformed } = parseSs(await runChecked(this.runner, 'ss', SS_ARGS));
    this.malformed = malformed;
    const live = new Set<number>();
    for (const s of sockets) if (s.inode) live.add(s.inode);
    const owners = await this.owners.resolve(live);
    const owned: Owned[] = [];
    for (const s of sockets) {
      const pid = s.inode ? owners.get(s.inode) : undefined;
      if (pid !== undefined) {
        owned.push({
          proto: s.proto,
          local: s.local,
          remote: s.remote,
          listening: s.state === 'LISTEN',
          pid,
        });
      }
    }
    return withApps(this.info, owned);
  }
}

export class LinuxSsUsersCollector implements SocketCollector {
  readonly name = 'linux/ss-users';
  malformed: string[] = [];

  constructor(
    private readonly runner: CommandRunner,
    private readonly info: LinuxProcessInfo,
  ) {}

  async snapshot(): Promise<SocketOwner[]> {
    const { sockets, malformed } = parseSs(await runChecked(this.runner, 'ss', SS_USERS_ARGS));
    this.malformed = malformed;
    const owned: Owned[] = [];
    for (const s of sockets) {
      const pid = s.pids[0];
      if (pid !== undefined) {
        owned.push({
          proto: s.proto,
          local: s.local,
          remote: s.remote,
          listening: s.state === 'LISTEN',
          pid,
        });
      }
    }
    return withApps(this.info, owned);
  }
}

const PROC_NET = [
  ['tcp', 'tcp'],
  ['tcp6', 'tcp'],
  ['udp', 'udp'],
  ['udp6', 'udp'],
] as const;

export class LinuxProcfsCollector implements SocketCollector {
  readonly name = 'linux/procfs';
  malformed: string[] = [];
  readonly owners: InodeOwners;
  readonly #littleEndian = endianness() === 'LE';

  constructor(
    private readonly files: HostFiles,
    private readonly info: LinuxProcessInfo,
    clock: Clock,
    private readonly procRoot = '/proc',
  ) {
    this.owners = new InodeOwners(files, clock, procRoot);
  }

  async snapshot(): Promise<SocketOwner[]> {
    const texts = await Promise.all(
      PROC_NET.map(([file]) =>
        this.files.readFile(`${this.procRoot}/net/${file}`).catch((err: unknown) => {
          if (errnoCode(err) === 'ENOENT') return ''; // no IPv6 in this kernel
          throw new Error(`read ${this.procRoot}/net/${file}: ${String(err)}`, { cause: err });
        }),
      ),
    );
    this.malformed = [];
    const sockets = PROC_NET.flatMap(([, proto], i) => {
      const parsed = parseProcNet(texts[i] ?? '', proto, this.#littleEndian);
      this.malformed.push(...parsed.malformed);
      // Same selection as ss's "state connected exclude time-wait": no listeners, no unconnected UDP.
      return parsed.sockets.filter(
        (s) => s.inode !== 0 && s.state !== TCP_LISTEN && s.state !== TCP_TIME_WAIT && s.state !== TCP_CLOSE,
      );
    });
    const owners = await this.owners.resolve(new Set(sockets.map((s) => s.inode)));
    const owned: Owned[] = [];
    for (const s of sockets) {
      const pid = owners.get(s.inode);
      if (pid !== undefined)
        owned.push({ proto: s.proto, local: s.local, remote: s.remote, listening: false, pid });
    }
    return withApps(this.info, owned);
  }
}

export type LinuxMethod = 'ss' | 'ss-users' | 'procfs';

/** The chosen method (default ss), or procfs when ss is not installed. */
export async function linuxCollector(deps: CollectorDeps): Promise<SocketCollector> {
  const info = new LinuxProcessInfo(deps.files, deps.clock);
  let method: LinuxMethod = deps.linuxMethod ?? 'ss';
  if (method !== 'procfs' && !(await hasSs(deps.runner))) method = 'procfs';
  switch (method) {
    case 'ss':
      return new LinuxSsCollector(deps.runner, deps.files, info, deps.clock);
    case 'ss-users':
      return new LinuxSsUsersCollector(deps.runner, info);
    case 'procfs':
      return new LinuxProcfsCollector(deps.files, info, deps.clock);
  }
}

async function hasSs(runner: CommandRunner): Promise<boolean> {
  try {
    return (await runner.run('ss', ['-V'])).code === 0;
  } catch {
    return false;
  }
}
