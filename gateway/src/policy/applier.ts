import { isIPv4 } from 'node:net';
import type { Logger } from '../log.js';
import { deviceKey, type AnswerMemory } from '../attribution/answers.js';
import type { DnsAnswer } from '../dns/types.js';
import type { Decision } from './decision.js';

/** The kernel side of enforcement (netfilter sets); see policy/enforcer.ts. */
export interface PairEnforcer {
  blockPairs(pairs: Array<{ mac: string; address: string; ttlSeconds: number }>): Promise<void>;
  unblockPairs(pairs: Array<{ mac: string; address: string }>): Promise<void>;
  blockBypassAddresses(addresses: Array<{ address: string; ttlSeconds: number }>): Promise<void>;
  /** Addresses a device whose internet is blocked may still reach (explicitly allowed names). */
  allowPairs(pairs: Array<{ mac: string; address: string; ttlSeconds: number }>): Promise<void>;
  setInternetBlocked(macs: string[]): Promise<void>;
  setBypassExempt(macs: string[]): Promise<void>;
  setQuicBlocked(macs: string[]): Promise<void>;
}

export interface FlowSelector {
  src: string;
  dst?: string;
  /** Only flows a block caught (the kernel tagged them when it dropped their packets). */
  blockedOnly?: boolean;
}

export interface FlowKiller {
  /** Deletes the conntrack entries whose original tuple matches; resolves to how many. */
  kill(selectors: FlowSelector[]): Promise<number>;
}

export interface PolicyView {
  decide(deviceId: number, name: string): Decision;
  /** The decision for traffic no name explains: is this device's whole internet blocked? */
  internetBlocked(deviceId: number): Decision;
  readonly generation: number;
}

export interface DeviceDirectory {
  knownDevices(): Array<{ deviceId: number; mac: string }>;
  addressesOf(deviceId: number): string[];
}

export interface DeviceFlags {
  /** Devices whose admin turned bypass prevention off / QUIC blocking on. */
  flags(): Promise<{ bypassExempt: number[]; quicBlocked: number[] }>;
}

/** A live flow with the name it was attributed to (from the flow ledger). */
export interface LabelledFlows {
  liveFlows(): Iterable<{ src: string; dst: string; domain: string }>;
}

export interface HitRecorder {
  hit(ruleId: number, count: number): void;
}

interface Pair {
  mac: string;
  deviceId: number;
  address: string;
  name: string;
  expiresAt: number;
}

/** Learned blocks shorter than this would expire before the device stops using the answer. */
const MIN_BLOCK_TTL = 300;
const MAX_PAIRS = 60_000;
/** (devices × remembered addresses) a rule change may scan for addresses other devices learned. */
const GLOBAL_SCAN_BUDGET = 2_000_000;

/**
 * Turns policy into kernel state, fastest layer first (the DNS answer itself is the DNS
 * server's job): per-device (MAC, address) block pairs learned from DNS answers, the
 * whole-internet block set, bypass prevention and QUIC sets, and killing live flows when a
 * block starts. Rule changes are applied before the API call returns.
 */
export class PolicyApplier {
  readonly #pairs = new Map<string, Pair>();
  #queue: Array<{ mac: string; address: string; ttlSeconds: number }> = [];
  #bypassQueue: Array<{ address: string; ttlSeconds: number }> = [];
  #allowQueue: Array<{ mac: string; address: string; ttlSeconds: number }> = [];
  #flushing: Promise<void> | null = null;
  #internetBlocked = new Set<string>();
  #deviceFlags = '';

  constructor(
    private readonly o: {
      policy: PolicyView;
      enforcer: PairEnforcer;
      killer: FlowKiller;
      memory: AnswerMemory;
      devices: DeviceDirectory;
      flags: DeviceFlags;
      flows: LabelledFlows;
      hits: HitRecorder;
      log: Logger;
      now?: () => number;
    },
  ) {}

  #now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** From the DNS server for every answer with addresses: remember it, and block what must be. */
  onAnswer(a: DnsAnswer): void {
    this.o.memory.remember(deviceKey(a.deviceId, a.client), a.addresses, a.name, a.ttl);
    if (a.decision.action !== 'block') {
      // An allow rule beats an internet block for its names: let their addresses through.
      if (a.decision.ruleId === null || a.deviceId === 0 || !this.#internetBlocked.size) return;
      const mac = this.#macOf(a.deviceId);
      if (!mac || !this.#internetBlocked.has(mac)) return;
      const ttlSeconds = Math.max(a.ttl, MIN_BLOCK_TTL);
      for (const address of a.addresses) this.#allowQueue.push({ mac, address, ttlSeconds });
      this.#scheduleFlush();
      return;
    }
    const ttlSeconds = Math.max(a.ttl, MIN_BLOCK_TTL);
    if (a.decision.reason === 'bypass') {
      for (const address of a.addresses) this.#bypassQueue.push({ address, ttlSeconds });
    } else if (a.deviceId > 0) {
      const mac = this.#macOf(a.deviceId);
      if (mac) for (const address of a.addresses) this.#addPair(mac, a.deviceId, address, a.name, ttlSeconds);
    }
    this.#scheduleFlush();
  }

  /**
   * After a rule was created, changed or deleted: recompute the internet block set, drop pairs
   * the policy no longer blocks, add pairs for what it now blocks (from each device's own DNS
   * answers and its attributed live flows) and kill the live flows that are now blocked.
   */
  async applyRules(): Promise<{ killed: number }> {
    const started = this.#now();
    const devices = this.o.devices.knownDevices();
    const kills: FlowSelector[] = [];

    const blockedMacs = new Set<string>();
    for (const d of devices) {
      const internet = this.o.policy.internetBlocked(d.deviceId);
      if (internet.action === 'block') {
        blockedMacs.add(d.mac);
        if (!this.#internetBlocked.has(d.mac)) {
          for (const src of this.o.devices.addressesOf(d.deviceId)) kills.push({ src });
          if (internet.ruleId !== null) this.o.hits.hit(internet.ruleId, 1);
        }
      }
    }
    const internetChanged =
      blockedMacs.size !== this.#internetBlocked.size ||
      [...blockedMacs].some((m) => !this.#internetBlocked.has(m));

    // Flows a lifted block caught stay tagged, and the kernel keeps dropping their remote side:
    // end them too, so the device starts over with flows that pass.
    for (const d of devices) {
      if (!this.#internetBlocked.has(d.mac) || blockedMacs.has(d.mac)) continue;
      for (const src of this.o.devices.addressesOf(d.deviceId)) kills.push({ src, blockedOnly: true });
    }
    const stale: Array<{ mac: string; address: string }> = [];
    for (const [key, p] of this.#pairs) {
      if (this.o.policy.decide(p.deviceId, p.name).action !== 'block') {
        this.#pairs.delete(key);
        stale.push({ mac: p.mac, address: p.address });
        for (const src of this.o.devices.addressesOf(p.deviceId)) {
          if (isIPv4(src) === isIPv4(p.address)) kills.push({ src, dst: p.address, blockedOnly: true });
        }
      }
    }

    const fresh: Array<{ mac: string; address: string; ttlSeconds: number }> = [];
    const byMac = new Map(devices.map((d) => [d.deviceId, d.mac] as const));
    for (const d of devices) {
      const blocked = (name: string) => this.o.policy.decide(d.deviceId, name).action === 'block';
      for (const { address, ttl } of this.o.memory.addressesOf(deviceKey(d.deviceId, ''), blocked)) {
        const name = this.o.memory.nameFor(deviceKey(d.deviceId, ''), address)!;
        // CDNs share addresses: block only what this device's latest answer for it says is blocked.
        if (!blocked(name)) continue;
        const added = this.#addPair(d.mac, d.deviceId, address, name, Math.max(ttl, MIN_BLOCK_TTL), false);
        if (added) fresh.push(added);
      }
    }
    // Addresses other devices were given for names this device may not reach: hard-coded or
    // cached elsewhere. Only where every name known for the address is blocked (shared CDNs).
    const globalScan = devices.length * this.o.memory.globalSize <= GLOBAL_SCAN_BUDGET;
    for (const d of globalScan ? devices : []) {
      const blocked = (name: string) => this.o.policy.decide(d.deviceId, name).action === 'block';
      for (const { address, ttl } of this.o.memory.addressesForNames(blocked)) {
        const names = this.o.memory.namesForAddress(address);
        if (!names.every(blocked)) continue;
        const added = this.#addPair(
          d.mac,
          d.deviceId,
          address,
          names[names.length - 1]!,
          Math.max(ttl, MIN_BLOCK_TTL),
          false,
        );
        if (added) fresh.push(added);
      }
    }
    const addressOwner = new Map<string, number>();
    for (const d of devices)
      for (const a of this.o.devices.addressesOf(d.deviceId)) addressOwner.set(a, d.deviceId);
    for (const f of this.o.flows.liveFlows()) {
      if (!f.domain) continue;
      const deviceId = addressOwner.get(f.src);
      if (deviceId === undefined) continue;
      const decision = this.o.policy.decide(deviceId, f.domain);
      if (decision.action !== 'block') continue;
      kills.push({ src: f.src, dst: f.dst });
      // A dropped flow counts as a hit of the rule that dropped it ("why blocked").
      if (decision.ruleId !== null) this.o.hits.hit(decision.ruleId, 1);
      const mac = byMac.get(deviceId);
      const added = mac && this.#addPair(mac, deviceId, f.dst, f.domain, MIN_BLOCK_TTL, false);
      if (added) fresh.push(added);
    }
    for (const p of fresh) {
      for (const src of this.o.devices.addressesOf(this.#pairs.get(`${p.mac}|${p.address}`)!.deviceId)) {
        if (isIPv4(src) === isIPv4(p.address)) kills.push({ src, dst: p.address });
      }
    }

    // Kernel sets first so the killed flows' next packets already meet the drop rule.
    await Promise.all([
      internetChanged ? this.o.enforcer.setInternetBlocked([...blockedMacs]) : undefined,
      fresh.length ? this.o.enforcer.blockPairs(fresh) : undefined,
      stale.length ? this.o.enforcer.unblockPairs(stale) : undefined,
    ]);
    this.#internetBlocked = blockedMacs;
    const setsMs = this.#now() - started;
    const killed = kills.length ? await this.o.killer.kill(dedupe(kills)) : 0;
    this.o.log.info(
      {
        blockedDevices: blockedMacs.size,
        added: fresh.length,
        removed: stale.length,
        killed,
        setsMs,
        ms: this.#now() - started,
      },
      'policy applied',
    );
    return { killed };
  }

  /** Per-device bypass and QUIC settings, and devices that appeared since (internet block by MAC). */
  async applyDevices(): Promise<void> {
    const { bypassExempt, quicBlocked } = await this.o.flags.flags();
    const devices = this.o.devices.knownDevices();
    const macs = (ids: number[]) =>
      devices
        .filter((d) => ids.includes(d.deviceId))
        .map((d) => d.mac)
        .sort();
    const exempt = macs(bypassExempt);
    const quic = macs(quicBlocked);
    const fingerprint = JSON.stringify([exempt, quic]);
    if (fingerprint !== this.#deviceFlags) {
      await Promise.all([this.o.enforcer.setBypassExempt(exempt), this.o.enforcer.setQuicBlocked(quic)]);
      this.#deviceFlags = fingerprint;
    }
    const unknownBlocked = devices.some(
      (d) =>
        !this.#internetBlocked.has(d.mac) && this.o.policy.internetBlocked(d.deviceId).action === 'block',
    );
    if (unknownBlocked) await this.applyRules();
  }

  /** Waits for queued DNS-learned pairs to reach the kernel (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  #macOf(deviceId: number): string | null {
    return this.o.devices.knownDevices().find((d) => d.deviceId === deviceId)?.mac ?? null;
  }

  #addPair(
    mac: string,
    deviceId: number,
    address: string,
    name: string,
    ttlSeconds: number,
    queue = true,
  ): { mac: string; address: string; ttlSeconds: number } | null {
    const key = `${mac}|${address}`;
    const expiresAt = this.#now() + ttlSeconds * 1000;
    const cur = this.#pairs.get(key);
    // Refresh the kernel's timeout only when it would otherwise lapse soon: most answers repeat.
    if (cur && cur.expiresAt - this.#now() > (ttlSeconds * 1000) / 2) {
      cur.name = name;
      return null;
    }
    if (!cur && this.#pairs.size >= MAX_PAIRS) this.#evictExpired();
    if (!cur && this.#pairs.size >= MAX_PAIRS) {
      this.o.log.warn({ max: MAX_PAIRS }, 'block pair table full; not adding more until some expire');
      return null;
    }
    this.#pairs.set(key, { mac, deviceId, address, name, expiresAt });
    const pair = { mac, address, ttlSeconds };
    if (queue) this.#queue.push(pair);
    return pair;
  }

  #evictExpired() {
    const now = this.#now();
    for (const [k, p] of this.#pairs) if (p.expiresAt <= now) this.#pairs.delete(k);
  }

  #scheduleFlush() {
    if (this.#flushing || (!this.#queue.length && !this.#bypassQueue.length && !this.#allowQueue.length))
      return;
    this.#flushing = (async () => {
      // One nft transaction for everything learned in this turn of the event loop.
      await new Promise((r) => setImmediate(r));
      const pairs = this.#queue;
      const bypass = this.#bypassQueue;
      const allow = this.#allowQueue;
      this.#queue = [];
      this.#bypassQueue = [];
      this.#allowQueue = [];
      try {
        await Promise.all([
          pairs.length ? this.o.enforcer.blockPairs(pairs) : undefined,
          bypass.length ? this.o.enforcer.blockBypassAddresses(bypass) : undefined,
          allow.length ? this.o.enforcer.allowPairs(allow) : undefined,
        ]);
      } catch (err) {
        this.o.log.warn({ err, pairs: pairs.length, bypass: bypass.length }, 'could not add learned blocks');
      }
    })().finally(() => {
      this.#flushing = null;
      this.#scheduleFlush();
    });
  }
}

function dedupe(xs: FlowSelector[]): FlowSelector[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.src}|${x.dst ?? ''}|${x.blockedOnly ? 'b' : ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
