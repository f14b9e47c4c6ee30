/**
 * What each device was told by DNS: (device, answer address) → the names it asked for, kept for
 * the answer's TTL plus a grace period. A new flow from that device to that address belongs to
 * the most recent of those names (LESSONS: CDNs share addresses, so keep several candidates per
 * pair and label by the name the device asked for, not the CNAME target).
 *
 * Keyed by device id, not client address, so a query over IPv4 labels a flow over IPv6 of the
 * same device; an address no device is known for yet is its own key.
 */

export interface AnswerMemoryOptions {
  /** Pairs remembered at most; the oldest go first. */
  maxPairs?: number;
  /** Addresses in the global (any device) map at most. */
  maxAddresses?: number;
  /** Names kept per pair. */
  maxNamesPerPair?: number;
  /** Seconds an answer is remembered beyond its TTL: clients keep using an answer a little longer. */
  graceSeconds?: number;
  /** Answers with a shorter TTL are remembered this long (plus grace). */
  minTtlSeconds?: number;
  now?: () => number;
}

interface Entry {
  /** Oldest first; the last one is the most recent. */
  names: string[];
  expiresAt: number;
}

export type DeviceKey = string;

export function deviceKey(deviceId: number, client: string): DeviceKey {
  return deviceId > 0 ? `d${deviceId}` : `a${client}`;
}

export class AnswerMemory {
  readonly #pairs = new Map<string, Entry>();
  readonly #global = new Map<string, Entry>();
  readonly #maxPairs: number;
  readonly #maxAddresses: number;
  readonly #maxNames: number;
  readonly #graceMs: number;
  readonly #minTtlMs: number;
  readonly #now: () => number;

  constructor(o: AnswerMemoryOptions = {}) {
    this.#maxPairs = o.maxPairs ?? 200_000;
    this.#maxAddresses = o.maxAddresses ?? 100_000;
    this.#maxNames = o.maxNamesPerPair ?? 4;
    this.#graceMs = (o.graceSeconds ?? 60) * 1000;
    this.#minTtlMs = (o.minTtlSeconds ?? 30) * 1000;
    this.#now = o.now ?? Date.now;
  }

  get size(): number {
    return this.#pairs.size;
  }

  get globalSize(): number {
    return this.#global.size;
  }

  remember(device: DeviceKey, addresses: readonly string[], name: string, ttlSeconds: number): void {
    const expiresAt = this.#now() + Math.max(ttlSeconds * 1000, this.#minTtlMs) + this.#graceMs;
    for (const address of addresses) {
      this.#put(this.#pairs, `${device}|${address}`, name, expiresAt, this.#maxPairs);
      this.#put(this.#global, address, name, expiresAt, this.#maxAddresses);
    }
  }

  /** The name a new flow from this device to this address belongs to, or null without evidence. */
  nameFor(device: DeviceKey, address: string): string | null {
    const own = this.#live(this.#pairs, `${device}|${address}`);
    if (own) return own.names[own.names.length - 1]!;
    return null;
  }

  /** Names any device was recently given for this address (weaker evidence; for the enforcer). */
  namesForAddress(address: string): readonly string[] {
    return this.#live(this.#global, address)?.names ?? [];
  }

  /** This device's remembered addresses whose names satisfy `matches`, with the seconds left. */
  addressesOf(
    device: DeviceKey,
    matches: (name: string) => boolean,
  ): Array<{ address: string; ttl: number }> {
    const prefix = `${device}|`;
    const now = this.#now();
    const out: Array<{ address: string; ttl: number }> = [];
    for (const [key, e] of this.#pairs) {
      if (!key.startsWith(prefix) || e.expiresAt <= now) continue;
      if (e.names.some(matches)) {
        out.push({ address: key.slice(prefix.length), ttl: Math.ceil((e.expiresAt - now) / 1000) });
      }
    }
    return out;
  }

  /** Every address any device was given for a name satisfying `matches`. */
  addressesForNames(matches: (name: string) => boolean): Array<{ address: string; ttl: number }> {
    const now = this.#now();
    const out: Array<{ address: string; ttl: number }> = [];
    for (const [address, e] of this.#global) {
      if (e.expiresAt > now && e.names.some(matches)) {
        out.push({ address, ttl: Math.ceil((e.expiresAt - now) / 1000) });
      }
    }
    return out;
  }

  #live(map: Map<string, Entry>, key: string): Entry | null {
    const e = map.get(key);
    if (!e) return null;
    if (e.expiresAt <= this.#now()) {
      map.delete(key);
      return null;
    }
    return e;
  }

  #put(map: Map<string, Entry>, key: string, name: string, expiresAt: number, max: number): void {
    const e = map.get(key);
    if (e) {
      const i = e.names.indexOf(name);
      if (i !== e.names.length - 1) {
        if (i >= 0) e.names.splice(i, 1);
        e.names.push(name);
        if (e.names.length > this.#maxNames) e.names.shift();
      }
      if (expiresAt > e.expiresAt) e.expiresAt = expiresAt;
      // Move to the back so eviction takes pairs nobody asked about lately, not busy ones.
      map.delete(key);
      map.set(key, e);
      return;
    }
    map.set(key, { names: [name], expiresAt });
    // Insertion order is age order: evicting from the front drops the oldest pairs first.
    if (map.size > max) {
      const excess = map.size - max;
      let n = 0;
      for (const k of map.keys()) {
        if (n++ >= excess) break;
        map.delete(k);
      }
    }
  }
}
