import type { Device } from '@packetpilot/protocol';
import type { DeviceRow } from './scanner.js';
import type { DeviceStore, DeviceUpdate } from '../db/device-store.js';

export type DeviceQueriesRepo = Pick<DeviceStore, 'list' | 'get' | 'update'>;

export interface DeviceTotals {
  /** All-time internet bytes per device id. */
  totals(): Promise<Map<number, { rxBytes: number; txBytes: number }>>;
}

/** Devices as the API shows them: identity, addresses, online state and all-time totals. */
export class DeviceService {
  readonly #listeners: Array<(deviceId: number) => Promise<void>> = [];

  constructor(
    private readonly repo: DeviceQueriesRepo,
    private readonly usage: DeviceTotals,
    private readonly online: (deviceId: number) => boolean,
  ) {}

  async list(): Promise<Device[]> {
    const [rows, totals] = await Promise.all([this.repo.list(), this.usage.totals()]);
    return rows.map((row) => this.#shape(row, totals.get(row.id)));
  }

  async get(id: number): Promise<Device | null> {
    const row = await this.repo.get(id);
    if (!row) return null;
    return this.#shape(row, (await this.usage.totals()).get(id));
  }

  async exists(id: number): Promise<boolean> {
    return (await this.repo.get(id)) !== null;
  }

  async nameOf(id: number): Promise<string | null> {
    const row = await this.repo.get(id);
    return row ? (row.name ?? row.hostname ?? row.mac) : null;
  }

  /** Listeners (the policy applier) run before the caller gets the result: changes apply at once. */
  onChange(listener: (deviceId: number) => Promise<void>): void {
    this.#listeners.push(listener);
  }

  async update(id: number, patch: DeviceUpdate): Promise<Device | null> {
    const row = await this.repo.update(id, patch);
    if (!row) return null;
    if (patch.bypassPrevention !== undefined || patch.blockQuic !== undefined) {
      for (const l of this.#listeners) await l(id);
    }
    return this.#shape(row, (await this.usage.totals()).get(id));
  }

  #shape(row: DeviceRow, totals?: { rxBytes: number; txBytes: number }): Device {
    return {
      id: row.id,
      mac: row.mac,
      ips: [...row.addresses]
        .sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime())
        .map((a) => a.address),
      name: row.name,
      hostname: row.hostname,
      vendor: row.vendor,
      firstSeen: row.firstSeen.toISOString(),
      lastSeen: row.lastSeen.toISOString(),
      online: this.online(row.id),
      bypassPrevention: row.bypassPrevention,
      blockQuic: row.blockQuic,
      rxBytes: totals?.rxBytes ?? 0,
      txBytes: totals?.txBytes ?? 0,
    };
  }
}
