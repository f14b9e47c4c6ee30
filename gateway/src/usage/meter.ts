import {
  UNATTRIBUTED_DEVICE,
  UsageKind,
  type CounterBaseline,
  type UsageIncrement,
  type UsageStore,
} from './store.js';
import type { Logger } from '../log.js';

/** The kernel counters one sample reads: dynamic-set elements and named counters. */
export interface CounterSnapshot {
  sets: Record<string, Array<{ key: string; packets: number; bytes: number }>>;
  counters: Record<string, { packets: number; bytes: number }>;
}

export interface CounterSource {
  snapshot(): Promise<CounterSnapshot | null>;
}

export interface DeviceResolver {
  /** The device with this MAC, created on first sight. */
  deviceIdForMac(mac: string): Promise<number>;
  /** The device that currently holds (or last held) this address; 0 when none is known. */
  deviceIdForAddress(address: string): Promise<number>;
}

export type UsageSink = Pick<UsageStore, 'loadBaselines' | 'commit'>;

export interface Rate {
  deviceId: number;
  rxBps: number;
  txBps: number;
}

/** Which set feeds which bucket and direction (see netfilter/gateway-table.ts). */
const SET_ROLES: Record<string, { kind: UsageKind; dir: 'rx' | 'tx'; by: 'mac' | 'address' }> = {
  dev_tx: { kind: UsageKind.Internet, dir: 'tx', by: 'mac' },
  dev_rx4: { kind: UsageKind.Internet, dir: 'rx', by: 'address' },
  dev_rx6: { kind: UsageKind.Internet, dir: 'rx', by: 'address' },
  local_tx: { kind: UsageKind.Gateway, dir: 'tx', by: 'mac' },
  local_rx4: { kind: UsageKind.Gateway, dir: 'rx', by: 'address' },
  local_rx6: { kind: UsageKind.Gateway, dir: 'rx', by: 'address' },
};

const BASELINE_PREFIX = 'nft:';
/** A delta larger than this in one sample is a counter bug, not traffic (LESSONS: reject impossible jumps). */
const MAX_BYTES_PER_SECOND = 100e9 / 8;

/**
 * Turns cumulative kernel counters into usage increments per device.
 *
 * Counters are read without zeroing; the last value already turned into usage is the baseline.
 * Increments and the baselines they were computed from are committed in one transaction, so a
 * daemon killed at any point restarts from a baseline that matches the stored usage exactly:
 * nothing is lost (the kernel kept counting) and nothing is counted twice.
 */
export class UsageMeter {
  readonly #baselines = new Map<string, { packets: number; bytes: number }>();
  #dirty = new Set<string>();
  #pending = new Map<string, UsageIncrement>();
  #lastSampleAt: Date | null = null;
  #rates: Rate[] = [];
  #rejected = 0;

  constructor(
    private readonly source: CounterSource,
    private readonly devices: DeviceResolver,
    private readonly sink: UsageSink,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(): Promise<void> {
    for (const [key, value] of await this.sink.loadBaselines(BASELINE_PREFIX))
      this.#baselines.set(key, value);
  }

  get lastSampleAt(): Date | null {
    return this.#lastSampleAt;
  }

  get rates(): readonly Rate[] {
    return this.#rates;
  }

  get rejectedJumps(): number {
    return this.#rejected;
  }

  /** Reads the kernel once and adds what moved since the last read to the pending batch. */
  async sample(): Promise<void> {
    const snapshot = await this.source.snapshot();
    const at = this.now();
    const seconds = this.#lastSampleAt
      ? Math.max(0.001, (at.getTime() - this.#lastSampleAt.getTime()) / 1000)
      : 1;
    if (!snapshot) {
      this.log.warn('accounting table missing; nothing to sample');
      return;
    }
    const perDevice = new Map<number, { rx: number; tx: number }>();
    const attributed = { rx: 0, tx: 0 };

    for (const [set, elements] of Object.entries(snapshot.sets)) {
      const role = SET_ROLES[set];
      if (!role) continue;
      for (const el of elements) {
        const delta = this.#advance(`${BASELINE_PREFIX}${set}:${el.key}`, el, seconds);
        if (!delta) continue;
        const deviceId =
          role.by === 'mac'
            ? await this.devices.deviceIdForMac(el.key)
            : await this.devices.deviceIdForAddress(el.key);
        this.#add(at, deviceId, role.kind, role.dir, delta);
        if (role.kind === UsageKind.Internet && deviceId !== UNATTRIBUTED_DEVICE) {
          attributed[role.dir] += delta.bytes;
          const rate = perDevice.get(deviceId) ?? { rx: 0, tx: 0 };
          rate[role.dir] += delta.bytes;
          perDevice.set(deviceId, rate);
        } else if (role.kind === UsageKind.Internet) {
          attributed[role.dir] += delta.bytes;
        }
      }
    }

    // Totals catch what the per-device sets could not hold (a full set) as unattributed.
    const up = this.#counterDelta(snapshot, 'fwd_up', seconds);
    const down = this.#counterDelta(snapshot, 'fwd_down', seconds);
    if (up && up.bytes > attributed.tx) {
      this.#add(at, UNATTRIBUTED_DEVICE, UsageKind.Internet, 'tx', {
        bytes: up.bytes - attributed.tx,
        packets: 0,
      });
    }
    if (down && down.bytes > attributed.rx) {
      this.#add(at, UNATTRIBUTED_DEVICE, UsageKind.Internet, 'rx', {
        bytes: down.bytes - attributed.rx,
        packets: 0,
      });
    }
    const lan = this.#counterDelta(snapshot, 'lan_lan', seconds);
    if (lan) this.#add(at, UNATTRIBUTED_DEVICE, UsageKind.Lan, 'tx', lan);
    for (const name of ['wan_local_in', 'wan_local_out']) this.#counterDelta(snapshot, name, seconds);

    this.#rates = [...perDevice].map(([deviceId, r]) => ({
      deviceId,
      rxBps: r.rx / seconds,
      txBps: r.tx / seconds,
    }));
    this.#lastSampleAt = at;
  }

  /** Commits the pending batch with its baselines; on failure keeps both for the next try. */
  async flush(): Promise<number> {
    if (this.#pending.size === 0 && this.#dirty.size === 0) return 0;
    const increments = [...this.#pending.values()];
    const baselines: CounterBaseline[] = [...this.#dirty].map((key) => ({
      key,
      ...this.#baselines.get(key)!,
    }));
    this.#pending = new Map();
    this.#dirty = new Set();
    try {
      await this.sink.commit({ increments, baselines });
      return increments.length;
    } catch (err) {
      for (const inc of increments) this.#merge(inc);
      for (const b of baselines) this.#dirty.add(b.key);
      throw new Error(`commit usage batch of ${increments.length} rows: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Last value read of a named counter, e.g. for reconciliation against the WAN interface. */
  counter(name: string): { packets: number; bytes: number } | undefined {
    return this.#baselines.get(`${BASELINE_PREFIX}counter:${name}`);
  }

  #counterDelta(snapshot: CounterSnapshot, name: string, seconds: number) {
    const value = snapshot.counters[name];
    return value ? this.#advance(`${BASELINE_PREFIX}counter:${name}`, value, seconds) : null;
  }

  #advance(key: string, value: { packets: number; bytes: number }, seconds: number) {
    const prev = this.#baselines.get(key);
    let bytes = value.bytes;
    let packets = value.packets;
    // A counter below its baseline was reset (table re-created, element evicted): count from zero.
    if (prev && value.bytes >= prev.bytes && value.packets >= prev.packets) {
      bytes -= prev.bytes;
      packets -= prev.packets;
    }
    if (prev && prev.bytes === value.bytes && prev.packets === value.packets) return null;
    this.#baselines.set(key, { packets: value.packets, bytes: value.bytes });
    this.#dirty.add(key);
    // The first sample after a start covers the whole downtime, so it is never judged a jump.
    if (this.#lastSampleAt && prev && bytes > MAX_BYTES_PER_SECOND * Math.max(seconds, 1) * 2) {
      this.#rejected += 1;
      this.log.warn({ key, bytes, seconds }, 'counter jumped more than the link could carry; delta ignored');
      return null;
    }
    return bytes === 0 && packets === 0 ? null : { bytes, packets };
  }

  #add(at: Date, deviceId: number, kind: UsageKind, dir: 'rx' | 'tx', d: { bytes: number; packets: number }) {
    this.#merge({
      at,
      deviceId,
      kind,
      rxBytes: dir === 'rx' ? d.bytes : 0,
      txBytes: dir === 'tx' ? d.bytes : 0,
      rxPackets: dir === 'rx' ? d.packets : 0,
      txPackets: dir === 'tx' ? d.packets : 0,
    });
  }

  #merge(inc: UsageIncrement) {
    const minute = Math.floor(inc.at.getTime() / 60_000);
    const key = `${minute}:${inc.deviceId}:${inc.kind}`;
    const cur = this.#pending.get(key);
    if (!cur) {
      this.#pending.set(key, { ...inc });
      return;
    }
    cur.rxBytes += inc.rxBytes;
    cur.txBytes += inc.txBytes;
    cur.rxPackets += inc.rxPackets;
    cur.txPackets += inc.txPackets;
  }
}
