/**
 * Socket inode → owning pid from /proc/<pid>/fd links (`socket:[12345]`), kept between polls:
 * only inodes not seen before are looked for, and the scan stops as soon as every new inode has its
 * owner. The processes that most recently opened sockets are read first (a browser opening its next
 * connection), then the rest newest pid first (a program that just started); a process that merely
 * holds many old sockets is not read again for each new one. An inode no process shows (another pid
 * namespace, no permission) is looked for again after ORPHAN_RETRY_MS, not on every poll.
 */
import type { Clock } from '../os/clock.js';
import type { HostFiles } from '../os/files.js';
import { socketInode } from './linux-procnet.js';

const ORPHAN_RETRY_MS = 5000;
const RECENT = 16;

export class InodeOwners {
  readonly #owners = new Map<number, number>();
  readonly #orphans = new Map<number, number>();
  /** Pids that owned the newest sockets found, most recent last (a small recency list). */
  #recent: number[] = [];
  #populated = false;
  /** fd links read in the last poll (the cost of ownership; the benchmark prints it). */
  linksRead = 0;

  constructor(
    private readonly files: HostFiles,
    private readonly clock: Clock,
    private readonly procRoot = '/proc',
  ) {}

  /** The owners of the given live inodes (those that have one); forgets inodes no longer live. */
  async resolve(live: ReadonlySet<number>): Promise<ReadonlyMap<number, number>> {
    this.linksRead = 0;
    for (const inode of this.#owners.keys()) if (!live.has(inode)) this.#owners.delete(inode);
    const now = this.clock.now();
    for (const [inode, at] of this.#orphans) {
      if (!live.has(inode) || now - at > ORPHAN_RETRY_MS) this.#orphans.delete(inode);
    }
    const unknown = new Set<number>();
    for (const inode of live) if (!this.#owners.has(inode) && !this.#orphans.has(inode)) unknown.add(inode);
    if (unknown.size > 0) {
      await this.#scan(unknown);
      for (const inode of unknown) this.#orphans.set(inode, now);
    }
    this.#populated = true;
    return this.#owners;
  }

  async #scan(unknown: Set<number>): Promise<void> {
    const all = (await this.files.readdir(this.procRoot)).filter((d) => /^\d+$/.test(d)).map(Number);
    const alive = new Set(all);
    this.#recent = this.#recent.filter((p) => alive.has(p));
    const first = [...this.#recent].reverse();
    const rest = all.filter((p) => !this.#recent.includes(p)).sort((a, b) => b - a);
    for (const pid of [...first, ...rest]) {
      const fdDir = `${this.procRoot}/${pid}/fd`;
      const fds = await this.files.readdir(fdDir).catch(() => [] as string[]);
      this.linksRead += fds.length;
      const links = await Promise.all(fds.map((fd) => this.files.readlink(`${fdDir}/${fd}`).catch(() => '')));
      let found = false;
      for (const link of links) {
        const inode = socketInode(link);
        if (inode === null) continue;
        if (!this.#owners.has(inode)) this.#owners.set(inode, pid);
        found = unknown.delete(inode) || found;
      }
      // The first poll finds everyone's old sockets: that says nothing about who opens new ones.
      if (found && this.#populated)
        this.#recent = [...this.#recent.filter((p) => p !== pid), pid].slice(-RECENT);
      if (unknown.size === 0) return;
    }
  }
}
