// The one place in lab/ that starts processes itself: long-lived servers must outlive the
// `packetpilot lab up` process, which the CommandRunner (children tied to the caller) cannot do.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { waitFor } from './wait.js';

export interface TrackedProcess {
  name: string;
  pid: number;
  ns: string;
  cmd: string;
  /** Live and still the program we started (the pid was not reused). */
  ours: boolean;
  /** Ours, and still inside the namespace of that name (not one deleted and re-created since). */
  alive: boolean;
}

/** Detached processes remembered by pid files, so a later `down`/`status` finds them. */
export interface LabProcesses {
  /** Start `cmd` inside `ns` in its own process group; resolves with its pid once exec succeeded. */
  start(name: string, ns: string, cmd: string, args: readonly string[]): Promise<number>;
  get(name: string): Promise<TrackedProcess | undefined>;
  list(): Promise<TrackedProcess[]>;
  /** Stop a tracked process (and its process group) and forget it; unknown names are fine. */
  stop(name: string): Promise<void>;
  /** Stop processes the lab did not track (found through `ip netns pids`). */
  kill(pids: readonly number[]): Promise<void>;
  logTail(name: string): Promise<string>;
  /** Remove the run directory (after everything is stopped). */
  clear(): Promise<void>;
}

async function procState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function isLive(pid: number): Promise<boolean> {
  const state = await procState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

async function sameNetns(pid: number, ns: string): Promise<boolean> {
  try {
    const [proc, named] = await Promise.all([readlink(`/proc/${pid}/ns/net`), stat(`/run/netns/${ns}`)]);
    return proc === `net:[${named.ino}]`;
  } catch {
    return false;
  }
}

async function argv0(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0];
  } catch {
    return undefined;
  }
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** SIGTERM, wait for exit with a deadline, then SIGKILL. `group` signals the whole process group. */
async function terminate(pid: number, group: boolean): Promise<void> {
  const target = group ? -pid : pid;
  signal(target, 'SIGTERM');
  try {
    await waitFor(async () => !(await isLive(pid)), {
      timeoutMs: 3000,
      intervalMs: 25,
      what: `pid ${pid} to exit`,
    });
  } catch {
    signal(target, 'SIGKILL');
    await waitFor(async () => !(await isLive(pid)), {
      timeoutMs: 3000,
      intervalMs: 25,
      what: `pid ${pid} to die`,
    });
  }
  if (group) signal(target, 'SIGKILL'); // children that ignored SIGTERM (curl mid-transfer)
}

export function pidFileProcesses(dir: string): LabProcesses {
  const pidFile = (name: string) => join(dir, `${name}.pid`);
  const logFile = (name: string) => join(dir, `${name}.log`);

  async function read(name: string): Promise<TrackedProcess | undefined> {
    let text: string;
    try {
      text = await readFile(pidFile(name), 'utf8');
    } catch {
      return undefined;
    }
    // Line 1 is the pid (what tools expect of a pid file); lines 2–3 let us recognise it later.
    const [pidText = '', ns = '', cmd = ''] = text.split('\n');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 1) return { name, pid: 0, ns, cmd, ours: false, alive: false };
    const ours = (await isLive(pid)) && basename((await argv0(pid)) ?? '') === basename(cmd);
    return { name, pid, ns, cmd, ours, alive: ours && (await sameNetns(pid, ns)) };
  }

  return {
    async start(name, ns, cmd, args) {
      await mkdir(dir, { recursive: true });
      const out = openSync(logFile(name), 'w');
      try {
        // `ip netns exec` execs the command in place, so this pid is the server's own pid.
        const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
          detached: true,
          stdio: ['ignore', out, out],
        });
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', (err) =>
            reject(new Error(`start ${name} in ${ns}: ${err.message}`, { cause: err })),
          );
        });
        child.unref();
        const pid = child.pid;
        if (pid === undefined) throw new Error(`start ${name} in ${ns}: no pid`);
        await writeFile(pidFile(name), `${pid}\n${ns}\n${cmd}\n`);
        // Until `ip` has entered the namespace and exec'd, the pid still shows `ip`: not yet ours.
        await waitFor(
          async () => !(await isLive(pid)) || basename((await argv0(pid)) ?? '') === basename(cmd),
          {
            timeoutMs: 5000,
            intervalMs: 5,
            what: `${name} in ${ns} to start ${cmd}`,
          },
        );
        return pid;
      } finally {
        closeSync(out);
      }
    },
    get: read,
    async list() {
      let files: string[];
      try {
        files = await readdir(dir);
      } catch {
        return [];
      }
      const names = files.filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -'.pid'.length));
      const all = await Promise.all(names.sort().map(read));
      return all.filter((p): p is TrackedProcess => p !== undefined);
    },
    async stop(name) {
      const p = await read(name);
      // Only signal a pid that is still ours; a stale file may name an unrelated process by now.
      // One left in a namespace deleted under it still counts: it pins that namespace's memory.
      if (p?.ours) await terminate(p.pid, true);
      await rm(pidFile(name), { force: true });
    },
    async kill(pids) {
      await Promise.all(pids.filter((p) => p !== process.pid).map((p) => terminate(p, false)));
    },
    async logTail(name) {
      try {
        return (await readFile(logFile(name), 'utf8')).slice(-2000);
      } catch {
        return '';
      }
    },
    async clear() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
