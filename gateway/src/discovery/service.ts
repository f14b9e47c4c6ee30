import type { Device } from '@packetpilot/protocol';
import type { DeviceRow } from './scanner.js';
import type { DeviceStore } from '../db/device-store.js';

export type DeviceQueriesRepo = Pick<DeviceStore, 'list' | 'get' | 'rename'>;

export interface DeviceTotals {
  /** All-time internet bytes per device id. */
  totals(): Promise<Map<number, { rxBytes: number; txBytes: number }>>;
}

/** Devices as the API shows them: identity, addresses, online state and all-time totals. */
export class DeviceService {
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

  async rename(id: number, name: string | null): Promise<Device | null> {
    const row = await this.repo.rename(id, name);
    return row ? this.#shape(row, (await this.usage.totals()).get(id)) : null;
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
      rxBytes: totals?.rxBytes ?? 0,
      txBytes: totals?.txBytes ?? 0,
    };
  }
}
