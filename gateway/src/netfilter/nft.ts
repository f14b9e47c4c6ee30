import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError, type CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import { addListedElements, type NftCommand } from './elements.js';
import { NftRefused, type NftSession } from './session.js';
import {
  parseNftListing,
  parseNftTable,
  type ListedElement,
  type ListedSet,
  type NftListing,
  type NftSnapshot,
} from './parse.js';
import { keyTypeText, type ChainSpec, type NftFamily, type SetSpec, type TableSpec } from './table.js';

export type { NftCommand } from './elements.js';

const NFT = 'nft';
const TIMEOUT_MS = 30_000;
/**
 * Batches up to this size go on the command line (`nft -j '<json>'`, one process, no file);
 * larger ones through a temp file. A single argument may hold 128 KiB (MAX_ARG_STRLEN).
 */
const ARGV_BATCH_BYTES = 64 * 1024;

function setFlagsSent(spec: SetSpec): string[] {
  return (spec.flags ?? []).filter((f) => f !== 'dynamic').sort();
}

/**
 * Whether the kernel's set matches the spec. 'dynamic' is ignored on both sides (nft 1.0.6
 * neither accepts nor prints it in JSON) and an unspecified size matches whatever default the
 * kernel chose (65535 for sets updated from the packet path).
 */
export function setMatches(spec: SetSpec, listed: ListedSet): boolean {
  const listedFlags = listed.flags.filter((f) => f !== 'dynamic').sort();
  return (
    keyTypeText(spec.type) === listed.type &&
    JSON.stringify(setFlagsSent(spec)) === JSON.stringify(listedFlags) &&
    (spec.counter ?? false) === listed.counter &&
    (spec.size === undefined || spec.size === listed.size) &&
    spec.timeout === listed.timeout
  );
}

/** Hook type/hook/priority cannot be changed in place (EOPNOTSUPP); the policy can. */
function chainNeedsRecreate(spec: ChainSpec, listed: NftListing['chains'][string]): boolean {
  if (!spec.hook) return listed.hook !== undefined;
  return (
    listed.type !== spec.hook.type || listed.hook !== spec.hook.hook || listed.prio !== spec.hook.priority
  );
}

/**
 * The elements of a set that is recreated, in a form `add element` takes back. Timed elements
 * keep the time they had left and are dropped when the new set cannot time out (a timed block
 * must never become permanent); per-element counters restart at zero (nft 1.0.6's JSON parser
 * ignores counter values on elements).
 */
function carriedElements(spec: SetSpec, listed: ListedSet, elems: readonly ListedElement[]): unknown[] {
  const timed = (spec.flags ?? []).includes('timeout');
  const out: unknown[] = [];
  for (const e of elems) {
    if (e.timeout === undefined && e.expires === undefined) {
      out.push(e.val);
    } else if (timed && e.expires !== undefined && e.expires > 0) {
      const timeout = Math.max(e.timeout ?? listed.timeout ?? e.expires, e.expires);
      out.push({ elem: { val: e.val, timeout, expires: e.expires } });
    }
  }
  return spec.size !== undefined ? out.slice(0, spec.size) : out;
}

/**
 * The one transaction that brings the kernel table to `spec`. Pure: `current` is the parsed
 * listing (null when the table does not exist). Every existing chain is flushed first so that
 * sets, counters and chains can be deleted or recreated without "resource busy" from rules that
 * still reference them; nft applies the whole batch atomically, so packets never see the gap.
 * Named counters and unchanged sets are left alone, which is what keeps their values
 * and their elements' remaining timeouts. A set that must be recreated (its definition changed)
 * gets its elements back when its key type stayed the same.
 */
export function planApply(spec: TableSpec, current: NftListing | null): NftCommand[] {
  const t = { family: spec.family, table: spec.name };
  const cmds: NftCommand[] = [{ add: { table: { family: spec.family, name: spec.name } } }];
  const specSets = new Map(spec.sets.map((s) => [s.name, s]));
  const specCounters = new Set(spec.counters);
  const specChains = new Map(spec.chains.map((c) => [c.name, c]));
  const recreateChains = new Set<string>();
  const createSets: SetSpec[] = [];

  if (current) {
    for (const name of Object.keys(current.chains)) cmds.push({ flush: { chain: { ...t, name } } });
    for (const [name, listed] of Object.entries(current.chains)) {
      const want = specChains.get(name);
      if (want && !chainNeedsRecreate(want, listed)) continue;
      cmds.push({ delete: { chain: { ...t, name } } });
      if (want) recreateChains.add(name);
    }
    for (const [name, listed] of Object.entries(current.sets)) {
      const want = specSets.get(name);
      if (want && setMatches(want, listed)) continue;
      cmds.push({ delete: { set: { ...t, name } } });
    }
    for (const name of Object.keys(current.counters)) {
      if (!specCounters.has(name)) cmds.push({ delete: { counter: { ...t, name } } });
    }
  }
  for (const s of spec.sets) {
    const listed = current?.sets[s.name];
    if (!listed || !setMatches(s, listed)) createSets.push(s);
  }
  for (const s of createSets) {
    const flags = setFlagsSent(s);
    cmds.push({
      add: {
        set: {
          ...t,
          name: s.name,
          type: typeof s.type === 'string' ? s.type : [...s.type],
          ...(flags.length ? { flags } : {}),
          ...(s.size !== undefined ? { size: s.size } : {}),
          ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
          ...(s.counter ? { stmt: [{ counter: null }] } : {}),
        },
      },
    });
    const listed = current?.sets[s.name];
    const elems = current?.elements[s.name] ?? [];
    if (listed && elems.length && listed.type === keyTypeText(s.type)) {
      const vals = carriedElements(s, listed, elems);
      if (vals.length) cmds.push(addListedElements({ ...t, name: s.name }, vals));
    }
  }
  for (const name of spec.counters) {
    if (!current?.counters[name]) cmds.push({ add: { counter: { ...t, name } } });
  }
  // Chains first, rules after: a jump may target a chain declared later in the spec.
  for (const c of spec.chains) {
    const h = c.hook;
    const base = h ? { type: h.type, hook: h.hook, prio: h.priority, policy: h.policy ?? 'accept' } : {};
    cmds.push({ add: { chain: { ...t, name: c.name, ...base } } });
  }
  for (const c of spec.chains) {
    for (const r of c.rules) {
      cmds.push({
        add: { rule: { ...t, chain: c.name, expr: r.expr, ...(r.comment ? { comment: r.comment } : {}) } },
      });
    }
  }
  return cmds;
}

const NO_TABLE = /No such file or directory/;

export class Nft {
  readonly #runner: CommandRunner;
  readonly #netns: string | undefined;
  readonly #log: Logger | undefined;
  readonly #session: NftSession | undefined;

  /** With `session`, small batches go through that long-lived nft process instead of a new one. */
  constructor(runner: CommandRunner, opts: { netns?: string; log?: Logger; session?: NftSession } = {}) {
    this.#runner = runner;
    this.#netns = opts.netns;
    this.#log = opts.log;
    this.#session = opts.session;
  }

  /** Raw JSON listing, or null when the table does not exist. */
  async #list(family: NftFamily, table: string): Promise<string | null> {
    const args = ['-j', 'list', 'table', family, table];
    const res = await this.#runner.run(NFT, args, { netns: this.#netns, timeoutMs: TIMEOUT_MS });
    if (res.code === 0) return res.stdout;
    if (NO_TABLE.test(res.stderr)) return null;
    throw new Error(`list nft table ${family} ${table}: ${new CommandError(NFT, args, res).message}`);
  }

  async apply(spec: TableSpec): Promise<void> {
    const where = `nft table ${spec.family} ${spec.name}`;
    let current: NftListing | null;
    try {
      const raw = await this.#list(spec.family, spec.name);
      current = raw === null ? null : parseNftListing(raw);
    } catch (err) {
      throw new Error(`apply ${where}: ${(err as Error).message}`, { cause: err });
    }
    const cmds = planApply(spec, current);
    await this.#send(cmds, `apply ${where}`);
    this.#log?.debug(
      { table: spec.name, commands: cmds.length, existed: current !== null },
      'nft table applied',
    );
  }

  /**
   * Run `cmds` as one atomic transaction in one nft process (no listing before or after): the
   * enforcer's path from a decision to the kernel.
   */
  async batch(cmds: readonly NftCommand[], what = 'nft batch'): Promise<void> {
    if (cmds.length === 0) return;
    await this.#send(cmds, what);
  }

  async #send(cmds: readonly NftCommand[], what: string): Promise<void> {
    const json = JSON.stringify({ nftables: cmds });
    const opts = { netns: this.#netns, timeoutMs: TIMEOUT_MS };
    if (this.#session && Buffer.byteLength(json) <= ARGV_BATCH_BYTES) {
      try {
        await this.#session.run(json, TIMEOUT_MS);
        return;
      } catch (err) {
        if (err instanceof NftRefused) throw new Error(`${what}: ${err.message}`, { cause: err });
        // The session broke (nft died, hung): this batch goes the one-shot way below.
        this.#log?.warn({ err, what }, 'nft session failed; running nft once instead');
      }
    }
    if (Buffer.byteLength(json) <= ARGV_BATCH_BYTES) {
      // libnftables parses a command-line buffer as JSON first when -j is given.
      const res = await this.#runner.run(NFT, ['-j', json], opts);
      if (res.code !== 0) throw new Error(`${what}: ${res.stderr.trim() || `nft exited ${res.code}`}`);
      return;
    }
    // Not `-f -`: Node hands children a socketpair as stdin and nft opens /dev/stdin by path,
    // which fails with ENXIO on a socket. A private temp file is the same single transaction.
    const dir = await mkdtemp(join(tmpdir(), 'pp-nft-'));
    const file = join(dir, 'batch.json');
    try {
      await writeFile(file, json, { mode: 0o600 });
      const res = await this.#runner.run(NFT, ['-j', '-f', file], opts);
      if (res.code !== 0) throw new Error(`${what}: ${res.stderr.trim() || `nft exited ${res.code}`}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Raw `nft -j list set` output, or null when the set (or its table) does not exist. */
  async listSet(family: NftFamily, table: string, name: string): Promise<string | null> {
    const args = ['-j', 'list', 'set', family, table, name];
    const res = await this.#runner.run(NFT, args, { netns: this.#netns, timeoutMs: TIMEOUT_MS });
    if (res.code === 0) return res.stdout;
    if (NO_TABLE.test(res.stderr)) return null;
    throw new Error(`list nft set ${family} ${table} ${name}: ${new CommandError(NFT, args, res).message}`);
  }

  async snapshot(family: NftFamily, table: string): Promise<NftSnapshot | null> {
    const raw = await this.#list(family, table);
    if (raw === null) return null;
    try {
      return parseNftTable(raw);
    } catch (err) {
      throw new Error(`snapshot nft table ${family} ${table}: ${(err as Error).message}`, { cause: err });
    }
  }

  async exists(family: NftFamily, table: string): Promise<boolean> {
    // `list table` with `-t` (terse) skips set elements, which can be large.
    const args = ['-t', 'list', 'table', family, table];
    const res = await this.#runner.run(NFT, args, { netns: this.#netns, timeoutMs: TIMEOUT_MS });
    if (res.code === 0) return true;
    if (NO_TABLE.test(res.stderr)) return false;
    throw new Error(`check nft table ${family} ${table}: ${new CommandError(NFT, args, res).message}`);
  }

  /** Idempotent: deleting a missing table is not an error. */
  async deleteTable(family: NftFamily, table: string): Promise<void> {
    const args = ['delete', 'table', family, table];
    const res = await this.#runner.run(NFT, args, { netns: this.#netns, timeoutMs: TIMEOUT_MS });
    if (res.code !== 0 && !NO_TABLE.test(res.stderr)) {
      throw new Error(`delete nft table ${family} ${table}: ${new CommandError(NFT, args, res).message}`);
    }
  }
}
