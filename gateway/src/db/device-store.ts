/**
 * Devices keyed by MAC (the stable identity) with the addresses they were seen with. An address
 * may move between devices (DHCP reuse); each device keeps its own last_seen for it, and readers
 * take the most recent holder.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './open.js';
import { deviceAddresses, devices } from './schema.js';

export interface DeviceAddress {
  address: string;
  lastSeen: Date;
}

export interface DeviceRecord {
  id: number;
  /** Lowercase, colon separated, as PostgreSQL's macaddr prints it. */
  mac: string;
  name: string | null;
  hostname: string | null;
  vendor: string | null;
  firstSeen: Date;
  lastSeen: Date;
  bypassPrevention: boolean;
  blockQuic: boolean;
  /** Most recently seen first. */
  addresses: DeviceAddress[];
}

export interface DeviceSighting {
  mac: string;
  addresses: string[];
  /** Omitted or null keeps what is stored: a sighting without a hostname must not erase it. */
  vendor?: string | null;
  hostname?: string | null;
  /** Defaults to the injected clock. */
  at?: Date;
}

export interface DeviceUpdate {
  name?: string | null;
  bypassPrevention?: boolean;
  blockQuic?: boolean;
}

export class DeviceStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the device on first sight, else moves last_seen forward and refreshes addresses. */
  async upsertSeen(seen: DeviceSighting): Promise<DeviceRecord> {
    const at = seen.at ?? this.now();
    const id = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(devices)
        .values({
          mac: seen.mac,
          vendor: seen.vendor ?? null,
          hostname: seen.hostname ?? null,
          firstSeen: at,
          lastSeen: at,
        })
        .onConflictDoUpdate({
          target: devices.mac,
          set: {
            // A late, out-of-order sighting must not move last_seen backwards.
            lastSeen: sql`greatest(${devices.lastSeen}, excluded.last_seen)`,
            vendor: sql`coalesce(excluded.vendor, ${devices.vendor})`,
            hostname: sql`coalesce(excluded.hostname, ${devices.hostname})`,
          },
        })
        .returning({ id: devices.id });
      if (!row) throw new Error(`upsert device ${seen.mac}: no row returned`);
      // inet has no room for an IPv6 zone (fe80::1%br-lan); the device already says which link.
      const addresses = [...new Set(seen.addresses.map((a) => a.replace(/%.*$/, '')))].sort();
      if (addresses.length > 0) {
        await tx
          .insert(deviceAddresses)
          .values(addresses.map((address) => ({ deviceId: row.id, address, lastSeen: at })))
          .onConflictDoUpdate({
            target: [deviceAddresses.deviceId, deviceAddresses.address],
            set: { lastSeen: sql`greatest(${deviceAddresses.lastSeen}, excluded.last_seen)` },
          });
      }
      return row.id;
    });
    const device = await this.get(id);
    if (!device) throw new Error(`upsert device ${seen.mac}: vanished`);
    return device;
  }

  async list(): Promise<DeviceRecord[]> {
    const rows = await this.db.select().from(devices).orderBy(asc(devices.id));
    return this.#withAddresses(rows);
  }

  async get(id: number): Promise<DeviceRecord | null> {
    const rows = await this.db.select().from(devices).where(eq(devices.id, id));
    return (await this.#withAddresses(rows))[0] ?? null;
  }

  /** Any notation PostgreSQL's macaddr accepts (02:50:…, 02-50-…, 0250.00…). */
  async getByMac(mac: string): Promise<DeviceRecord | null> {
    const rows = await this.db.select().from(devices).where(eq(devices.mac, mac));
    return (await this.#withAddresses(rows))[0] ?? null;
  }

  /** Admin changes: name (null falls back to hostname/MAC in the UI) and per-device protections. */
  async update(id: number, patch: DeviceUpdate): Promise<DeviceRecord | null> {
    const set: Partial<typeof devices.$inferInsert> = {};
    if (patch.name !== undefined) set.name = patch.name?.trim() || null;
    if (patch.bypassPrevention !== undefined) set.bypassPrevention = patch.bypassPrevention;
    if (patch.blockQuic !== undefined) set.blockQuic = patch.blockQuic;
    const rows = Object.keys(set).length
      ? await this.db.update(devices).set(set).where(eq(devices.id, id)).returning()
      : await this.db.select().from(devices).where(eq(devices.id, id));
    return (await this.#withAddresses(rows))[0] ?? null;
  }

  async rename(id: number, name: string | null): Promise<DeviceRecord | null> {
    return this.update(id, { name });
  }

  /** Devices that differ from the defaults (bypass prevention on, QUIC allowed). */
  async flags(): Promise<{ bypassExempt: number[]; quicBlocked: number[] }> {
    const rows = await this.db
      .select({ id: devices.id, bypass: devices.bypassPrevention, quic: devices.blockQuic })
      .from(devices)
      .where(sql`not ${devices.bypassPrevention} or ${devices.blockQuic}`);
    return {
      bypassExempt: rows.filter((r) => !r.bypass).map((r) => r.id),
      quicBlocked: rows.filter((r) => r.quic).map((r) => r.id),
    };
  }

  async #withAddresses(rows: Omit<DeviceRecord, 'addresses'>[]): Promise<DeviceRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const addresses = await this.db
      .select()
      .from(deviceAddresses)
      .where(inArray(deviceAddresses.deviceId, ids))
      .orderBy(
        asc(deviceAddresses.deviceId),
        sql`${deviceAddresses.lastSeen} desc`,
        asc(deviceAddresses.address),
      );
    const byDevice = new Map<number, DeviceAddress[]>();
    for (const a of addresses) {
      const list = byDevice.get(a.deviceId) ?? [];
      list.push({ address: a.address, lastSeen: a.lastSeen });
      byDevice.set(a.deviceId, list);
    }
    return rows.map((r) => ({ ...r, addresses: byDevice.get(r.id) ?? [] }));
  }
}
