import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner, RunResult } from '../os/runner.js';

/** Test-only: an in-memory nft that keeps one inet table and records every batch it receives. */
type Obj = Record<string, unknown>;
interface State {
  sets: Map<string, Obj & { elem?: unknown[] }>;
  counters: Map<string, { packets: number; bytes: number }>;
  chains: Map<string, Obj>;
  rules: Array<Obj & { chain: string }>;
}

export class FakeNft implements CommandRunner {
  table: State | null = null;
  readonly batches: unknown[][] = [];
  failNext: string | null = null;

  run(cmd: string, args: readonly string[]): Promise<RunResult> {
    if (cmd !== 'nft') throw new Error(`fake nft: unexpected ${cmd}`);
    const ok = (stdout = ''): Promise<RunResult> => Promise.resolve({ stdout, stderr: '', code: 0 });
    const noTable = (): Promise<RunResult> =>
      Promise.resolve({ stdout: '', stderr: 'Error: No such file or directory\n', code: 1 });
    if (args[0] === '-j' && args[1] === '-f') {
      const doc = JSON.parse(readFileSync(args[2] as string, 'utf8')) as { nftables: Obj[] };
      this.batches.push(doc.nftables);
      if (this.failNext) {
        const stderr = this.failNext;
        this.failNext = null;
        return Promise.resolve({ stdout: '', stderr, code: 1 });
      }
      for (const c of doc.nftables) this.#exec(c);
      return ok();
    }
    if (args.includes('list')) return this.table ? ok(this.#listing()) : noTable();
    if (args[0] === 'delete') {
      if (!this.table) return noTable();
      this.table = null;
      return ok();
    }
    throw new Error(`fake nft: unexpected args ${args.join(' ')}`);
  }

  spawn(): ChildProcess {
    throw new Error('fake nft: spawn not supported');
  }

  /** Simulate traffic: bump a named counter or add/bump a set element. */
  count(target: { counter: string } | { set: string; key: string }, bytes: number): void {
    const t = this.#need();
    if ('counter' in target) {
      const c = t.counters.get(target.counter)!;
      c.packets += 1;
      c.bytes += bytes;
      return;
    }
    const s = t.sets.get(target.set)!;
    s.elem ??= [];
    const found = s.elem.find((e) => (e as { elem: Obj }).elem.val === target.key) as
      { elem: { counter: { packets: number; bytes: number } } } | undefined;
    if (found) {
      found.elem.counter.packets += 1;
      found.elem.counter.bytes += bytes;
    } else s.elem.push({ elem: { val: target.key, counter: { packets: 1, bytes } } });
  }

  #need(): State {
    if (!this.table) throw new Error('fake nft: No such file or directory');
    return this.table;
  }

  #exec(c: Obj): void {
    const [verb, body] = Object.entries(c)[0] as [string, Obj];
    const [kind, o] = Object.entries(body)[0] as [string, Obj];
    const name = String(o.name);
    if (verb === 'add' && kind === 'table') {
      this.table ??= { sets: new Map(), counters: new Map(), chains: new Map(), rules: [] };
      return;
    }
    const t = this.#need();
    const busy = (what: string): never => {
      throw new Error(`fake nft: ${what} ${name} is busy`);
    };
    const referenced = (needle: string): boolean =>
      t.rules.some((r) => JSON.stringify(r.expr).includes(needle));
    if (verb === 'add' && kind === 'set') {
      if (!t.sets.has(name)) t.sets.set(name, { ...o });
    } else if (verb === 'add' && kind === 'counter') {
      if (!t.counters.has(name)) t.counters.set(name, { packets: 0, bytes: 0 });
    } else if (verb === 'add' && kind === 'chain') {
      t.chains.set(name, { ...t.chains.get(name), ...o });
    } else if (verb === 'add' && kind === 'rule') {
      t.rules.push({ ...o, chain: String(o.chain) });
    } else if (verb === 'flush' && kind === 'chain') {
      t.rules = t.rules.filter((r) => r.chain !== name);
    } else if (verb === 'delete' && kind === 'set') {
      if (referenced(`"@${name}"`)) busy('set');
      t.sets.delete(name);
    } else if (verb === 'delete' && kind === 'counter') {
      if (referenced(`"counter":"${name}"`)) busy('counter');
      t.counters.delete(name);
    } else if (verb === 'delete' && kind === 'chain') {
      if (t.rules.some((r) => r.chain === name) || referenced(`"target":"${name}"`)) busy('chain');
      t.chains.delete(name);
    } else throw new Error(`fake nft: unsupported ${verb} ${kind}`);
  }

  #listing(): string {
    const t = this.#need();
    const base = { family: 'inet', table: 'packetpilot' };
    const items: unknown[] = [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'packetpilot' } },
    ];
    for (const [name, c] of t.counters) items.push({ counter: { ...base, name, ...c } });
    for (const s of t.sets.values()) items.push({ set: s });
    for (const c of t.chains.values()) items.push({ chain: c });
    for (const r of t.rules) items.push({ rule: { ...base, ...r } });
    return JSON.stringify({ nftables: items });
  }
}
