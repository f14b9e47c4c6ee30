import type { HostFiles } from '../os/files.js';

function enoent(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
}

/**
 * An in-memory tree for /proc, /sys and /etc: files, symlinks (readlink only) and directories
 * implied by the paths below them. `onWrite` lets a test give special files behaviour.
 */
export class FakeFiles implements HostFiles {
  readonly files = new Map<string, string>();
  readonly links = new Map<string, string>();
  readonly dirs = new Set<string>();
  readonly writes: { path: string; data: string }[] = [];
  onWrite: ((path: string, data: string) => boolean) | undefined;
  reads = 0;

  file(path: string, text: string): this {
    this.files.set(path, text);
    return this;
  }

  link(path: string, target: string): this {
    this.links.set(path, target);
    return this;
  }

  remove(prefix: string): void {
    for (const m of [this.files, this.links])
      for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
    for (const d of [...this.dirs]) if (d.startsWith(prefix)) this.dirs.delete(d);
  }

  async readFile(path: string): Promise<string> {
    this.reads++;
    const text = this.files.get(path);
    if (text === undefined) throw enoent(path);
    return text;
  }

  async readdir(path: string): Promise<string[]> {
    const prefix = `${path.replace(/\/$/, '')}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.links.keys(), ...this.dirs]) {
      if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0] ?? '');
    }
    names.delete('');
    if (names.size === 0 && !this.dirs.has(path)) throw enoent(path);
    return [...names];
  }

  async readlink(path: string): Promise<string> {
    this.reads++;
    const target = this.links.get(path);
    if (target === undefined) throw enoent(path);
    return target;
  }

  async writeFile(path: string, data: string): Promise<void> {
    this.writes.push({ path, data });
    if (this.onWrite?.(path, data)) return;
    this.files.set(path, data);
  }

  async mkdir(path: string): Promise<void> {
    this.dirs.add(path);
  }

  async rmdir(path: string): Promise<void> {
    this.dirs.delete(path);
  }

  async exists(path: string): Promise<boolean> {
    return this.files.has(path) || this.links.has(path) || this.dirs.has(path);
  }
}
