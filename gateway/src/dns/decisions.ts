/**
 * Per-query "who is asking and what does the policy say", memoised so the hot path pays one or
 * two Map lookups. Policy decisions are valid until policy.generation changes; device ids are
 * re-read every few seconds because DHCP may hand an address to another device.
 */
import type { Logger } from '../log.js';
import type { ClientDevices, Decision, DomainPolicy } from './types.js';

const FAIL_OPEN: Decision = Object.freeze({ action: 'allow', ruleId: null });

export class DecisionCache {
  readonly #policy: DomainPolicy;
  readonly #maxPerDevice: number;
  readonly #log: Logger;
  readonly #byDevice = new Map<number, Map<string, Decision>>();
  #generation = Number.NaN;
  #warned = false;

  constructor(policy: DomainPolicy, log: Logger, maxPerDevice = 20_000) {
    this.#policy = policy;
    this.#log = log;
    this.#maxPerDevice = maxPerDevice;
  }

  decide(deviceId: number, name: string): Decision {
    const gen = this.#policy.generation;
    if (gen !== this.#generation) {
      this.#byDevice.clear();
      this.#generation = gen;
      this.#warned = false;
    }
    let names = this.#byDevice.get(deviceId);
    if (names === undefined) {
      names = new Map();
      this.#byDevice.set(deviceId, names);
    }
    let d = names.get(name);
    if (d === undefined) {
      d = this.#ask(deviceId, name);
      // Crude but bounded: a device that asks for more names than this starts over.
      if (names.size >= this.#maxPerDevice) names.clear();
      names.set(name, d);
    }
    return d;
  }

  #ask(deviceId: number, name: string): Decision {
    try {
      return this.#policy.decide(deviceId, name);
    } catch (err) {
      // DNS keeps working when the policy is broken (fail-open, like the data plane); one log
      // line per policy generation, the cached FAIL_OPEN keeps it from repeating per query.
      if (!this.#warned) {
        this.#warned = true;
        this.#log.error({ err, deviceId, name }, 'dns: policy.decide threw; allowing');
      }
      return FAIL_OPEN;
    }
  }
}

interface DeviceSlot {
  id: number;
  until: number;
}

export class ClientDeviceCache {
  readonly #clients: ClientDevices;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #byAddress = new Map<string, DeviceSlot>();

  constructor(clients: ClientDevices, ttlMs = 5_000, max = 8_192) {
    this.#clients = clients;
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  deviceId(address: string, now: number): number {
    const slot = this.#byAddress.get(address);
    if (slot !== undefined && now < slot.until) return slot.id;
    let id = 0;
    try {
      id = this.#clients.deviceIdForAddressSync(address);
    } catch {
      // Unknown device is a valid answer ("scope all" rules still apply); retried after the TTL.
    }
    // An unknown client is not cached: the scanner may learn it any moment, and a cached 0 would
    // keep its device rules from applying for the whole TTL.
    if (id === 0) {
      if (slot !== undefined) this.#byAddress.delete(address);
      this.#clients.unknownClient?.(address);
    } else if (slot !== undefined) {
      slot.id = id;
      slot.until = now + this.#ttlMs;
    } else {
      if (this.#byAddress.size >= this.#max) this.#byAddress.clear();
      this.#byAddress.set(address, { id, until: now + this.#ttlMs });
    }
    return id;
  }

  clear(): void {
    this.#byAddress.clear();
  }
}
