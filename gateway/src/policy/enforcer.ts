import { isIP } from 'node:net';
import { release } from 'node:os';
import type { Logger } from '../log.js';
import {
  GATEWAY_FAMILY,
  GATEWAY_TABLE,
  SET_ALLOW_PAIR4,
  SET_ALLOW_PAIR6,
  SET_BLOCK_PAIR4,
  SET_BLOCK_PAIR6,
  SET_BYPASS_EXEMPT,
  SET_BYPASS_IP4,
  SET_BYPASS_IP6,
  SET_INTERNET_BLOCK,
  SET_QUIC_BLOCK,
  policyGenerationCommands,
  type PolicyGeneration,
} from '../netfilter/gateway-table.js';
import {
  addElements,
  destroyElements,
  flushSet,
  type ElementKey,
  type ElementSpec,
  type NftCommand,
  type SetRef,
} from '../netfilter/elements.js';
import { normaliseKey, parseNftSet } from '../netfilter/parse.js';
import type { NftFamily } from '../netfilter/table.js';

/** What the enforcer needs of `Nft`: one atomic batch per call, and a set listing for counters. */
export interface EnforcerNft {
  batch(cmds: readonly NftCommand[], what?: string): Promise<void>;
  listSet(family: NftFamily, table: string, name: string): Promise<string | null>;
}

export interface Pair {
  mac: string;
  address: string;
}

export interface TimedPair extends Pair {
  /** The DNS answer's TTL; the element's timeout is this clamped to [minTtl, maxTtl]. */
  ttlSeconds: number;
}

export interface TimedAddress {
  address: string;
  ttlSeconds: number;
}

/** A device in a MAC set: permanent, or with a kernel timeout (a timed block ends even if we die). */
export type DeviceEntry = string | { mac: string; ttlSeconds?: number };

export interface PairCount extends Pair {
  /** Packets/bytes the pair's block rule dropped. */
  packets: number;
  bytes: number;
  /** Seconds until the kernel removes the pair (rounded down). */
  expiresSeconds?: number;
}

/**
 * How re-adding an existing timed element restarts its countdown. 'update': add it again with
 * `expires` (Linux ≥ 6.12 updates the element in place; its counter is kept). 'replace': delete
 * and re-add in the same batch (older kernels ignore a re-add; the element's counter restarts).
 */
export type RefreshMode = 'update' | 'replace';

export interface EnforcerOptions {
  family?: NftFamily;
  table?: string;
  /** Floor for learned-address timeouts: clients keep using an answer after its TTL. */
  minTtlSeconds?: number;
  maxTtlSeconds?: number;
  /** Default: 'update' on Linux ≥ 6.12 (see `kernelRelease`), else 'replace'. */
  refresh?: RefreshMode;
  /** `uname -r`; defaults to the running kernel's. */
  kernelRelease?: string;
  /**
   * The table's policy gate (gateway-table.ts). Given, every batch also moves the gate to a new
   * generation, so flows that passed it are checked against the changed sets. Without it the
   * table's gate must not be in use (tests of the sets alone).
   */
  generation?: PolicyGeneration;
  log?: Logger;
}

export const DEFAULT_MIN_TTL_SECONDS = 300;
export const DEFAULT_MAX_TTL_SECONDS = 86_400;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function mac(raw: string): string {
  const m = normaliseKey(raw.trim());
  if (!MAC.test(m)) throw new TypeError(`enforcer: not a MAC address: ${JSON.stringify(raw)}`);
  return m;
}

function family(address: string): 4 | 6 {
  const v = isIP(address);
  if (v === 0) throw new TypeError(`enforcer: not an IP address: ${JSON.stringify(address)}`);
  return v === 4 ? 4 : 6;
}

/** Linux ≥ 6.12 restarts an existing element's countdown on `add element … expires` (4201f3938914). */
export function refreshModeFor(kernelRelease: string): RefreshMode {
  const [major = 0, minor = 0] = kernelRelease.split(/[.-]/).map(Number);
  return major > 6 || (major === 6 && minor >= 12) ? 'update' : 'replace';
}

/** One family's share of a pair or address batch. */
interface Keyed {
  set: string;
  key: ElementKey;
  id: string;
  timeout?: number;
}

/**
 * The data plane of per-device blocking: fills the policy sets of the gateway table
 * (netfilter/gateway-table.ts). Every call is one `nft` process running one atomic batch, and
 * nothing is read back, so a decision reaches the kernel in a few milliseconds.
 */
export class Enforcer {
  readonly #nft: EnforcerNft;
  readonly #family: NftFamily;
  readonly #table: string;
  readonly #minTtl: number;
  readonly #maxTtl: number;
  readonly #refresh: RefreshMode;
  readonly #log: Logger | undefined;
  readonly #generation: PolicyGeneration | undefined;

  constructor(nft: EnforcerNft, opts: EnforcerOptions = {}) {
    this.#nft = nft;
    this.#family = opts.family ?? GATEWAY_FAMILY;
    this.#table = opts.table ?? GATEWAY_TABLE;
    this.#minTtl = opts.minTtlSeconds ?? DEFAULT_MIN_TTL_SECONDS;
    this.#maxTtl = Math.max(this.#minTtl, opts.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS);
    this.#refresh = opts.refresh ?? refreshModeFor(opts.kernelRelease ?? release());
    this.#log = opts.log;
    this.#generation = opts.generation;
  }

  get refreshMode(): RefreshMode {
    return this.#refresh;
  }

  /** Drop packets from each device to each address until the TTL (with its floor) runs out. */
  async blockPairs(pairs: readonly TimedPair[]): Promise<void> {
    await this.#addTimed(this.#pairs(pairs, SET_BLOCK_PAIR4, SET_BLOCK_PAIR6), 'block pairs');
  }

  /** Pairs that are not blocked are fine: the batch never fails on a missing element. */
  async unblockPairs(pairs: readonly Pair[]): Promise<void> {
    await this.#destroy(this.#pairs(pairs, SET_BLOCK_PAIR4, SET_BLOCK_PAIR6), 'unblock pairs');
  }

  /** Let devices whose internet is blocked reach these addresses (of explicitly allowed names). */
  async allowPairs(pairs: readonly TimedPair[]): Promise<void> {
    await this.#addTimed(this.#pairs(pairs, SET_ALLOW_PAIR4, SET_ALLOW_PAIR6), 'allow pairs');
  }

  async unallowPairs(pairs: readonly Pair[]): Promise<void> {
    await this.#destroy(this.#pairs(pairs, SET_ALLOW_PAIR4, SET_ALLOW_PAIR6), 'unallow pairs');
  }

  /** Learned addresses of DoH/VPN/proxy endpoints, dropped for every non-exempt device. */
  async blockBypassAddresses(addresses: readonly TimedAddress[]): Promise<void> {
    await this.#addTimed(this.#addresses(addresses), 'block bypass addresses');
  }

  async unblockBypassAddresses(addresses: readonly string[]): Promise<void> {
    const keyed = this.#addresses(addresses.map((address) => ({ address, ttlSeconds: 0 })));
    await this.#destroy(keyed, 'unblock bypass addresses');
  }

  /** Replace the whole set of devices without internet (one batch: flush + add). */
  async setInternetBlocked(devices: readonly DeviceEntry[]): Promise<void> {
    await this.#replaceDevices(SET_INTERNET_BLOCK, devices);
  }

  async setBypassExempt(devices: readonly DeviceEntry[]): Promise<void> {
    await this.#replaceDevices(SET_BYPASS_EXEMPT, devices);
  }

  async setQuicBlocked(devices: readonly DeviceEntry[]): Promise<void> {
    await this.#replaceDevices(SET_QUIC_BLOCK, devices);
  }

  /** Dropped packets/bytes per blocked (device, address): the "why blocked" hit counts. */
  async pairCounters(): Promise<PairCount[]> {
    const lists = await Promise.all(
      [SET_BLOCK_PAIR4, SET_BLOCK_PAIR6].map((name) => this.#nft.listSet(this.#family, this.#table, name)),
    );
    const out: PairCount[] = [];
    for (const raw of lists) {
      const parsed = raw === null ? null : parseNftSet(raw);
      for (const e of parsed?.elements ?? []) {
        const [m, address] = e.key.split(' . ');
        if (m === undefined || address === undefined) continue;
        out.push({
          mac: m,
          address,
          packets: e.packets,
          bytes: e.bytes,
          ...(e.expires !== undefined ? { expiresSeconds: e.expires } : {}),
        });
      }
    }
    return out;
  }

  #ref(name: string): SetRef {
    return { family: this.#family, table: this.#table, name };
  }

  #ttl(seconds: number): number {
    const s = Number.isFinite(seconds) ? Math.ceil(seconds) : 0;
    return Math.min(this.#maxTtl, Math.max(this.#minTtl, s));
  }

  #pairs(pairs: readonly (Pair & { ttlSeconds?: number })[], set4: string, set6: string): Keyed[] {
    return pairs.map((p) => {
      const m = mac(p.mac);
      const v = family(p.address);
      return {
        set: v === 4 ? set4 : set6,
        key: [m, p.address],
        id: `${m} . ${p.address.toLowerCase()}`,
        ...(p.ttlSeconds !== undefined ? { timeout: this.#ttl(p.ttlSeconds) } : {}),
      };
    });
  }

  #addresses(addresses: readonly TimedAddress[]): Keyed[] {
    return addresses.map((a) => ({
      set: family(a.address) === 4 ? SET_BYPASS_IP4 : SET_BYPASS_IP6,
      key: a.address,
      id: a.address.toLowerCase(),
      timeout: this.#ttl(a.ttlSeconds),
    }));
  }

  /** Per set, last entry wins for duplicate keys (one element may appear once per command). */
  #bySet(keyed: readonly Keyed[]): Map<string, Keyed[]> {
    const sets = new Map<string, Map<string, Keyed>>();
    for (const k of keyed) {
      const m = sets.get(k.set) ?? new Map<string, Keyed>();
      m.set(k.id, k);
      sets.set(k.set, m);
    }
    return new Map([...sets].map(([set, m]) => [set, [...m.values()]]));
  }

  async #addTimed(keyed: readonly Keyed[], what: string): Promise<void> {
    const cmds: NftCommand[] = [];
    for (const [set, items] of this.#bySet(keyed)) {
      const ref = this.#ref(set);
      if (this.#refresh === 'replace')
        cmds.push(
          ...destroyElements(
            ref,
            items.map((k) => k.key),
          ),
        );
      const elems: ElementSpec[] = items.map((k) => ({ key: k.key, timeout: k.timeout, expires: k.timeout }));
      cmds.push(addElements(ref, elems));
    }
    await this.#run(cmds, what, keyed.length);
  }

  async #destroy(keyed: readonly Keyed[], what: string): Promise<void> {
    const cmds: NftCommand[] = [];
    for (const [set, items] of this.#bySet(keyed)) {
      cmds.push(
        ...destroyElements(
          this.#ref(set),
          items.map((k) => k.key),
        ),
      );
    }
    await this.#run(cmds, what, keyed.length);
  }

  async #replaceDevices(set: string, devices: readonly DeviceEntry[]): Promise<void> {
    const byMac = new Map<string, ElementSpec>();
    for (const d of devices) {
      const entry = typeof d === 'string' ? { mac: d } : d;
      const m = mac(entry.mac);
      const timeout = entry.ttlSeconds === undefined ? undefined : Math.max(1, Math.ceil(entry.ttlSeconds));
      byMac.set(m, { key: m, ...(timeout !== undefined ? { timeout, expires: timeout } : {}) });
    }
    const ref = this.#ref(set);
    const cmds: NftCommand[] = [flushSet(ref)];
    if (byMac.size) cmds.push(addElements(ref, [...byMac.values()]));
    await this.#run(cmds, `set ${set}`, byMac.size);
  }

  async #run(cmds: NftCommand[], what: string, count: number): Promise<void> {
    if (cmds.length === 0) return;
    const started = performance.now();
    const gate = this.#generation
      ? policyGenerationCommands(this.#generation.next(), { family: this.#family, table: this.#table })
      : [];
    try {
      await this.#nft.batch([...cmds, ...gate], `enforcer: ${what}`);
    } catch (err) {
      this.#log?.error({ err, what, count }, 'enforcement batch failed');
      throw err;
    }
    this.#log?.debug({ what, count, ms: Math.round(performance.now() - started) }, 'enforced');
  }
}
