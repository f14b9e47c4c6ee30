/**
 * pid → application on Linux: the executable from /proc/<pid>/exe (its base name is the app name;
 * /proc/<pid>/comm when exe cannot be read, e.g. another user's process without CAP_SYS_PTRACE),
 * the user from the real uid in /proc/<pid>/status, named through /etc/passwd.
 */
import type { HostFiles } from '../os/files.js';
import type { Clock } from '../os/clock.js';
import type { AppInfo } from './collector.js';

/** /etc/passwd → uid → name; malformed lines are skipped. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid)) continue;
    if (!users.has(Number(uid))) users.set(Number(uid), name);
  }
  return users;
}

/** The real uid from /proc/<pid>/status (`Uid:\treal\teffective\tsaved\tfs`). */
export function parseStatusUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m?.[1] ? Number(m[1]) : null;
}

/** `/usr/bin/curl (deleted)` → path `/usr/bin/curl`, name `curl`. */
export function appFromExe(exe: string): { name: string; path: string } | null {
  const path = exe.replace(/ \(deleted\)$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name ? { name, path } : null;
}

const PASSWD_RELOAD_MS = 60_000;
/** An entry not confirmed by a snapshot for this long is read again (pid reuse, exec). */
const CACHE_MS = 30_000;

interface Cached {
  app: AppInfo;
  at: number;
}

export class LinuxProcessInfo {
  readonly #cache = new Map<number, Cached>();
  #users: Promise<Map<number, string>> | undefined;
  #usersAt = -Infinity;

  constructor(
    private readonly files: HostFiles,
    private readonly clock: Clock,
    private readonly procRoot = '/proc',
    private readonly passwdPath = '/etc/passwd',
  ) {}

  /** The app of a live process, or null if it is gone. */
  async app(pid: number): Promise<AppInfo | null> {
    const now = this.clock.now();
    const hit = this.#cache.get(pid);
    if (hit && now - hit.at < CACHE_MS) return hit.app;
    const app = await this.#read(pid);
    if (app) this.#cache.set(pid, { app, at: now });
    else this.#cache.delete(pid);
    return app;
  }

  /** Forgets processes not seen any more (keeps the cache as small as the live set). */
  retain(pids: ReadonlySet<number>): void {
    for (const pid of this.#cache.keys()) if (!pids.has(pid)) this.#cache.delete(pid);
  }

  async #read(pid: number): Promise<AppInfo | null> {
    const base = `${this.procRoot}/${pid}`;
    const [exe, comm, status] = await Promise.all([
      this.files.readlink(`${base}/exe`).catch(() => null),
      this.files.readFile(`${base}/comm`).catch(() => null),
      this.files.readFile(`${base}/status`).catch(() => null),
    ]);
    if (status === null && comm === null) return null;
    const fromExe = exe ? appFromExe(exe) : null;
    const name = fromExe?.name ?? comm?.trim();
    if (!name) return null;
    const app: AppInfo = { name };
    if (fromExe) app.path = fromExe.path;
    const uid = status === null ? null : parseStatusUid(status);
    if (uid !== null) app.user = await this.#userName(uid);
    return app;
  }

  /** uid → name; /etc/passwd is read again (at most once a minute) when a uid is not in it. */
  async #userName(uid: number): Promise<string> {
    const now = this.clock.now();
    if (!this.#users) this.#users = this.#loadUsers(now);
    const known = (await this.#users).get(uid);
    if (known !== undefined) return known;
    if (now - this.#usersAt >= PASSWD_RELOAD_MS) this.#users = this.#loadUsers(now);
    return (await this.#users).get(uid) ?? String(uid);
  }

  #loadUsers(now: number): Promise<Map<number, string>> {
    this.#usersAt = now;
    return this.files.readFile(this.passwdPath).then(parsePasswd, () => new Map<number, string>());
  }
}
