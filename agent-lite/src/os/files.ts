/**
 * The kernel's file interfaces the agent reads and writes: /proc, /sys/fs/cgroup, /etc/passwd.
 * Injected so collectors and the blocker are tested against a fake tree.
 * (The agent's own state directory is plain node:fs; tests point it at a temporary directory.)
 */
import { readFile, readdir, readlink, writeFile, mkdir, rmdir, access } from 'node:fs/promises';

export interface HostFiles {
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  /** One write(2) of the whole text: what cgroup.procs needs. */
  writeFile(path: string, data: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const hostFiles: HostFiles = {
  readFile: (path) => readFile(path, 'utf8'),
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
  writeFile: (path, data) => writeFile(path, data),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  rmdir: (path) => rmdir(path),
  exists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
};

/** The errno code of a failed fs call, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
