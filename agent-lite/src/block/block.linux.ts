/**
 * Blocking apps on Linux: their processes go into the cgroup v2 `packetpilot-blocked` (children
 * follow by inheritance), an nft table `inet packetpilot_agent` rejects output from sockets made in
 * that cgroup, and sockets they opened before the move are destroyed with `ss -K`. Processes that
 * start later are caught by a watcher that looks at new pids every 20 ms (each for its first 1.5 s,
 * to see the exec after a fork), by a full /proc scan every second and by every snapshot.
 * Unblocking moves them back where they came from. Needs CAP_NET_ADMIN (nft, ss -K), write access
 * to the cgroup v2 tree, and CAP_SYS_PTRACE/CAP_DAC_READ_SEARCH to read other users' /proc/<pid>/exe.
 */
import type { SocketOwner } from '../collect/collector.js';
import { appFromExe } from '../collect/procinfo.linux.js';
import type { Cancel, Clock } from '../os/clock.js';
import { errnoCode, type HostFiles } from '../os/files.js';
import { CommandError, runChecked, type CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import { appMatches, type AppBlocker, type BlockingMode } from './blocker.js';
import {
  blockCgroup,
  findCgroup2,
  killable,
  mountedAt,
  NFT_DELETE_ARGS,
  nftTableScript,
  parseProcCgroup,
  ssKillArgs,
  type BlockCgroup,
  type Cgroup2Mount,
} from './linux-rules.js';

export interface LinuxBlockerOptions {
  runner: CommandRunner;
  files: HostFiles;
  clock: Clock;
  log: Logger;
  cgroupName?: string;
  procRoot?: string;
  /** How often processes without sockets are looked for. Default 1 s. */
  scanEveryMs?: number;
  /** Never moved: the agent itself. */
  selfPid?: number;
  /** How often the watcher looks for new processes. Default 20 ms. */
  watchEveryMs?: number;
}

const WATCH_MS = 20;
/** Where nft looks for cgroup v2 paths (`socket cgroupv2`). */
const CGROUP_DIR = '/sys/fs/cgroup';
const WATCH_YOUNG_MS = 1500;

const tupleKey = (s: SocketOwner) =>
  `${s.proto} ${s.local.address} ${s.local.port} ${s.remote.address} ${s.remote.port}`;

export class LinuxBlocker implements AppBlocker {
  mode: BlockingMode = 'enforced';
  #blocked: readonly string[] = [];
  #mount: Cgroup2Mount | null | undefined;
  #cg: BlockCgroup | null = null;
  /** pid → the cgroup it came from (relative to the cgroup2 root). */
  readonly #moved = new Map<number, string>();
  readonly #killed = new Set<string>();
  #owners: readonly SocketOwner[] = [];
  #lastScan = -Infinity;
  /** pid → when the watcher first saw it. */
  readonly #young = new Map<number, number>();
  #watch: Cancel | undefined;
  /** The watcher's first look: every pid then is old, not new. */
  #primed = false;
  readonly #proc: string;
  readonly #self: number;

  constructor(private readonly o: LinuxBlockerOptions) {
    this.#proc = o.procRoot ?? '/proc';
    this.#self = o.selfPid ?? process.pid;
  }

  async apply(blockedApps: readonly string[]): Promise<void> {
    this.#blocked = [...blockedApps];
    try {
      if (this.#blocked.length === 0) {
        this.close();
        await this.#deleteTable();
        await this.#release();
        this.mode = 'enforced';
        return;
      }
      const cg = await this.#cgroup();
      await runChecked(this.o.runner, 'nft', ['-f', '-'], { input: nftTableScript(cg) });
      this.mode = 'enforced';
      this.o.log.info({ blockedApps: this.#blocked, cgroup: cg.dir }, 'blocking apps');
      await this.#release();
      this.#lastScan = -Infinity;
      await this.enforce(this.#owners);
      this.#startWatch();
    } catch (err) {
      this.mode = 'unavailable';
      this.o.log.error({ err: explain(err) }, 'cannot block apps on this machine');
    }
  }

  async enforce(owners: readonly SocketOwner[]): Promise<void> {
    this.#owners = owners;
    if (this.#blocked.length === 0 || this.mode !== 'enforced' || !this.#cg) return;
    const victims = owners.filter((s) => s.pid !== this.#self && appMatches(s.app, this.#blocked));
    for (const pid of new Set(victims.map((s) => s.pid))) if (!this.#moved.has(pid)) await this.#move(pid);
    const now = this.o.clock.now();
    if (now - this.#lastScan >= (this.o.scanEveryMs ?? 1000)) {
      this.#lastScan = now;
      await this.#scan();
    }
    const live = new Set(owners.map(tupleKey));
    for (const key of this.#killed) if (!live.has(key)) this.#killed.delete(key);
    const kill = victims.filter((s) => killable(s) && !this.#killed.has(tupleKey(s)));
    for (const args of ssKillArgs(kill)) {
      const r = await this.o.runner.run('ss', args);
      if (r.code !== 0) this.o.log.warn({ err: r.stderr.trim() }, 'ss -K failed');
    }
    for (const s of kill) this.#killed.add(tupleKey(s));
  }

  close(): void {
    this.#watch?.();
    this.#watch = undefined;
    this.#young.clear();
  }

  async cleanup(): Promise<void> {
    this.close();
    this.#blocked = [];
    await this.#deleteTable().catch((err: unknown) => this.o.log.warn({ err: explain(err) }, 'nft cleanup'));
    const cg = await this.#cgroup().catch(() => null);
    if (!cg) return;
    await this.#release();
    await this.o.files.rmdir(cg.dir).catch(() => undefined);
  }

  async #cgroup(): Promise<BlockCgroup> {
    if (this.#cg) return this.#cg;
    this.#mount ??= await this.#findOrMountCgroup2();
    if (!this.#mount) throw new Error('cgroup v2 is not mounted (needed to tell blocked apps apart)');
    const cg = blockCgroup(this.#mount, this.o.cgroupName ?? 'packetpilot-blocked');
    if (!cg)
      throw new Error(`cgroup v2 is mounted at ${this.#mount.mountPoint}; nft looks under /sys/fs/cgroup`);
    try {
      await this.o.files.mkdir(cg.dir);
    } catch (err) {
      throw new Error(`create cgroup ${cg.dir}: ${explain(err)}`, { cause: err });
    }
    this.#cg = cg;
    return cg;
  }

  /**
   * The cgroup v2 mount, mounting it at /sys/fs/cgroup when nothing at all is mounted there: in a
   * mount namespace that got a fresh /sys without cgroups (`ip netns exec`, some containers) the
   * hierarchy is still the machine's, it is only not visible. A host where anything (cgroup v1)
   * sits at /sys/fs/cgroup is left alone.
   */
  async #findOrMountCgroup2(): Promise<Cgroup2Mount | null> {
    const mountinfo = await this.o.files.readFile(`${this.#proc}/self/mountinfo`);
    const found = findCgroup2(mountinfo);
    if (found || mountedAt(mountinfo, CGROUP_DIR)) return found;
    const res = await this.o.runner.run('mount', ['-t', 'cgroup2', 'cgroup2', CGROUP_DIR]);
    if (res.code !== 0) {
      this.o.log.warn({ stderr: res.stderr.trim() }, `could not mount cgroup v2 at ${CGROUP_DIR}`);
      return null;
    }
    this.o.log.info(`mounted cgroup v2 at ${CGROUP_DIR} in the agent's mount namespace`);
    return findCgroup2(await this.o.files.readFile(`${this.#proc}/self/mountinfo`));
  }

  async #move(pid: number): Promise<void> {
    const cg = this.#cg;
    if (!cg || pid === this.#self || pid <= 1) return;
    const origin = await this.o.files
      .readFile(`${this.#proc}/${pid}/cgroup`)
      .then(parseProcCgroup, () => null);
    if (origin === null) return; // gone
    if (origin === cg.path) {
      this.#moved.set(pid, '/'); // already there (an earlier run put it there)
      return;
    }
    try {
      await this.o.files.writeFile(`${cg.dir}/cgroup.procs`, `${pid}\n`);
      this.#moved.set(pid, origin);
      this.o.log.info({ pid, from: origin }, 'moved a blocked app into the blocked cgroup');
    } catch (err) {
      if (errnoCode(err) !== 'ESRCH') this.o.log.warn({ pid, err: explain(err) }, 'cannot move process');
    }
  }

  /** New processes, looked at again and again during their first WATCH_YOUNG_MS (fork, then exec). */
  #startWatch(): void {
    if (this.#watch) return;
    const tick = async () => {
      const now = this.o.clock.now();
      const pids = await this.o.files.readdir(this.#proc).catch(() => [] as string[]);
      const alive = new Set<number>();
      for (const d of pids) {
        if (!/^\d+$/.test(d)) continue;
        const pid = Number(d);
        alive.add(pid);
        if (!this.#young.has(pid)) this.#young.set(pid, this.#primed ? now : -Infinity);
      }
      this.#primed = true;
      for (const [pid, seen] of this.#young) {
        if (!alive.has(pid)) this.#young.delete(pid);
        else if (now - seen < WATCH_YOUNG_MS && !this.#moved.has(pid) && pid !== this.#self) {
          const app = await this.#appOf(pid);
          if (app && appMatches(app, this.#blocked)) await this.#move(pid);
        }
      }
    };
    const arm = () => {
      this.#watch = this.o.clock.after(this.o.watchEveryMs ?? WATCH_MS, () => {
        void tick().finally(() => {
          if (this.#watch) arm();
        });
      });
    };
    this.#primed = false;
    arm();
  }

  /** Processes of blocked apps that have no socket yet (just started, or idle). */
  async #scan(): Promise<void> {
    const pids = (await this.o.files.readdir(this.#proc).catch(() => [] as string[]))
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((pid) => pid > 1 && pid !== this.#self && !this.#moved.has(pid));
    for (const pid of pids) {
      const app = await this.#appOf(pid);
      if (app && appMatches(app, this.#blocked)) await this.#move(pid);
    }
  }

  /** Processes in the blocked cgroup whose app is no longer blocked go back. */
  async #release(): Promise<void> {
    const cg = this.#cg;
    const mount = this.#mount;
    if (!cg || !mount) return;
    const text = await this.o.files.readFile(`${cg.dir}/cgroup.procs`).catch(() => '');
    const inside = text.split('\n').filter(Boolean).map(Number);
    for (const pid of this.#moved.keys()) if (!inside.includes(pid)) this.#moved.delete(pid);
    for (const pid of inside) {
      const app = await this.#appOf(pid);
      if (app && appMatches(app, this.#blocked)) continue;
      const origin = this.#moved.get(pid) ?? '/';
      this.#moved.delete(pid);
      const target = `${mount.mountPoint}${origin === '/' ? '' : origin}/cgroup.procs`;
      await this.o.files
        .writeFile(target, `${pid}\n`)
        .catch(() => this.o.files.writeFile(`${mount.mountPoint}/cgroup.procs`, `${pid}\n`))
        .catch((err: unknown) => this.o.log.warn({ pid, err: explain(err) }, 'cannot move process back'));
    }
  }

  async #appOf(pid: number): Promise<{ name: string; path?: string } | null> {
    const exe = await this.o.files.readlink(`${this.#proc}/${pid}/exe`).catch(() => null);
    if (exe) return appFromExe(exe);
    const comm = await this.o.files.readFile(`${this.#proc}/${pid}/comm`).catch(() => null);
    return comm?.trim() ? { name: comm.trim() } : null;
  }

  async #deleteTable(): Promise<void> {
    const r = await this.o.runner.run('nft', NFT_DELETE_ARGS);
    if (r.code !== 0 && !/No such file or directory/i.test(r.stderr)) {
      throw new CommandError('nft', NFT_DELETE_ARGS, r);
    }
  }
}

function explain(err: unknown): string {
  const code = errnoCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'EACCES' || code === 'EPERM' || /Operation not permitted/i.test(message)) {
    return `${message} (run as root with CAP_NET_ADMIN and write access to the cgroup v2 tree)`;
  }
  if (code === 'EROFS') return `${message} (the cgroup tree is read-only here)`;
  return message;
}
