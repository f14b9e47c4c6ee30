import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner, RunResult } from '../os/runner.js';

/**
 * Test-only: an in-memory nft that keeps one inet table and records every batch it receives.
 * Batches are atomic like the kernel's: one failing command leaves the table as it was.
 * Elements are kept in the shape `nft -j list` prints them; re-adding an element with a timeout
 * restarts its countdown and keeps its counter (Linux ≥ 6.12), deleting a missing one fails.
 */
type Obj = Record<string, unknown>;
interface Elem {
  val: unknown;
  timeout?: number;
  expires?: number;
  counter?: { packets: number; bytes: number };
}
interface FakeSet extends Obj {
  elems: Elem[];
}
interface State {
  sets: Map<string, FakeSet>;
  counters: Map<string, { packets: number; bytes: number }>;
  chains: Map<string, Obj>;
  rules: Array<Obj & { chain: string }>;
}

class NftError extends Error {}

const sameVal = (a: unknown, b: unknown): boolean =>
  JSON.stringify(a).toLowerCase() === JSON.stringify(b).toLowerCase();

export class FakeNft implements CommandRunner {
  table: State | null = null;
  readonly batches: unknown[][] = [];
  /** Every argv the fake was called with, in order. */
  readonly calls: string[][] = [];
  failNext: string | null = null;

  run(cmd: string, args: readonly string[]): Promise<RunResult> {
    if (cmd !== 'nft') throw new Error(`fake nft: unexpected ${cmd}`);
    this.calls.push([...args]);
    const ok = (stdout = ''): Promise<RunResult> => Promise.resolve({ stdout, stderr: '', code: 0 });
    const fail = (stderr: string): Promise<RunResult> => Promise.resolve({ stdout: '', stderr, code: 1 });
    const noTable = (): Promise<RunResult> => fail('Error: No such file or directory\n');
    const batchText =
      args[0] === '-j' && args[1] === '-f'
        ? readFileSync(args[2] as string, 'utf8')
        : args[0] === '-j' && args.length === 2 && args[1]?.startsWith('{')
          ? args[1]
          : undefined;
    if (batchText !== undefined) {
      const doc = JSON.parse(batchText) as { nftables: Obj[] };
      this.batches.push(doc.nftables);
      if (this.failNext) {
        const stderr = this.failNext;
        this.failNext = null;
        return fail(stderr);
      }
      const before = this.table ? structuredClone(this.table) : null;
      try {
        for (const c of doc.nftables) this.#exec(c);
      } catch (err) {
        if (!(err instanceof NftError)) throw err;
        this.table = before;
        return fail(`Error: ${err.message}\n`);
      }
      return ok();
    }
    const list = args.indexOf('list');
    if (list >= 0 && args[list + 1] === 'set') {
      const s = this.table?.sets.get(String(args[list + 4]));
      if (!s) return noTable();
      return ok(
        JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { set: this.#setJson(s) }] }),
      );
    }
    if (list >= 0) return this.table ? ok(this.#listing()) : noTable();
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

  /** Simulate traffic: bump a named counter or add/bump a set element (`key` may be `a . b`). */
  count(target: { counter: string } | { set: string; key: string }, bytes: number): void {
    const t = this.#need();
    if ('counter' in target) {
      const c = t.counters.get(target.counter)!;
      c.packets += 1;
      c.bytes += bytes;
      return;
    }
    const s = t.sets.get(target.set)!;
    const parts = target.key.split(' . ');
    const val = parts.length > 1 ? { concat: parts } : target.key;
    const found = s.elems.find((e) => sameVal(e.val, val));
    if (found) {
      found.counter ??= { packets: 0, bytes: 0 };
      found.counter.packets += 1;
      found.counter.bytes += bytes;
    } else s.elems.push({ val, counter: { packets: 1, bytes } });
  }

  /** Let time pass for element timeouts: expired elements disappear, as in the kernel. */
  elapse(seconds: number): void {
    for (const s of this.#need().sets.values()) {
      for (const e of s.elems) if (e.expires !== undefined) e.expires -= seconds;
      s.elems = s.elems.filter((e) => e.expires === undefined || e.expires > 0);
    }
  }

  #need(): State {
    if (!this.table) throw new NftError('No such file or directory');
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
      throw new NftError(`${what} ${name} is busy`);
    };
    const referenced = (needle: string): boolean =>
      t.rules.some((r) => JSON.stringify(r.expr).includes(needle));
    const set = (): FakeSet =>
      t.sets.get(name) ??
      (() => {
        throw new NftError(`No such file or directory (set ${name})`);
      })();
    if (verb === 'add' && kind === 'set') {
      if (!t.sets.has(name)) t.sets.set(name, { ...o, elems: [] });
    } else if (verb === 'add' && kind === 'counter') {
      if (!t.counters.has(name)) t.counters.set(name, { packets: 0, bytes: 0 });
    } else if (verb === 'add' && kind === 'chain') {
      t.chains.set(name, { ...t.chains.get(name), ...o });
    } else if (verb === 'add' && kind === 'rule') {
      t.rules.push({ ...o, chain: String(o.chain) });
    } else if (verb === 'add' && kind === 'element') {
      const s = set();
      for (const raw of o.elem as unknown[]) this.#addElem(s, raw);
    } else if (verb === 'delete' && kind === 'element') {
      const s = set();
      for (const val of o.elem as unknown[]) {
        const i = s.elems.findIndex((e) => sameVal(e.val, val));
        if (i < 0) throw new NftError(`Could not process rule: No such file or directory`);
        s.elems.splice(i, 1);
      }
    } else if (verb === 'flush' && kind === 'set') {
      set().elems = [];
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

  #addElem(s: FakeSet, raw: unknown): void {
    const spec = (typeof raw === 'object' && raw !== null && 'elem' in raw ? raw.elem : { val: raw }) as Elem;
    const flags = (s.flags as string[] | undefined) ?? [];
    if ((spec.timeout !== undefined || spec.expires !== undefined) && !flags.includes('timeout')) {
      throw new NftError(`set ${String(s.name)} has no timeout flag`);
    }
    const timeout = spec.timeout ?? (s.timeout as number | undefined);
    const existing = s.elems.find((e) => sameVal(e.val, spec.val));
    if (existing) {
      if (spec.expires !== undefined || (timeout !== undefined && timeout !== existing.timeout)) {
        existing.timeout = timeout;
        existing.expires = spec.expires ?? timeout;
      }
      return;
    }
    if (s.size !== undefined && s.elems.length >= (s.size as number)) throw new NftError('set is full');
    s.elems.push({
      val: spec.val,
      ...(timeout !== undefined ? { timeout, expires: spec.expires ?? timeout } : {}),
      ...(s.stmt ? { counter: { packets: 0, bytes: 0 } } : {}),
    });
  }

  #setJson(s: FakeSet): Obj {
    const { elems, ...def } = s;
    const elem = elems.map((e) =>
      e.timeout === undefined && !e.counter
        ? e.val
        : {
            elem: {
              val: e.val,
              ...(e.timeout !== undefined ? { timeout: e.timeout, expires: e.expires } : {}),
              ...(e.counter ? { counter: e.counter } : {}),
            },
          },
    );
    return { ...def, ...(elem.length ? { elem } : {}) };
  }

  #listing(): string {
    const t = this.#need();
    const base = { family: 'inet', table: 'packetpilot' };
    const items: unknown[] = [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'inet', name: 'packetpilot' } },
    ];
    for (const [name, c] of t.counters) items.push({ counter: { ...base, name, ...c } });
    for (const s of t.sets.values()) items.push({ set: this.#setJson(s) });
    for (const c of t.chains.values()) items.push({ chain: c });
    for (const r of t.rules) items.push({ rule: { ...base, ...r } });
    return JSON.stringify({ nftables: items });
  }
}
