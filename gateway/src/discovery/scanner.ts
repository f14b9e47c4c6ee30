import type { DeviceRecord, DeviceStore } from '../db/device-store.js';
import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '../os/runner.js';
import { runChecked } from '../os/runner.js';
import type { Logger } from '../log.js';
import { parseNeighbours } from './neighbours.js';
import { parseDnsmasqLeases } from './leases.js';
import type { VendorLookup } from './oui.js';

/** Unknown addresses trigger at most one extra neighbour-table read per this interval. */
const RESCAN_MIN_INTERVAL_MS = 1000;
const PERSIST_SIGHTING_MS = 60_000;

/** A device as storage keeps it (db/device-store.ts owns the table). */
export type DeviceRow = DeviceRecord;

/** What discovery needs from storage (db/device-store.ts). */
/** What discovery needs from storage. */
export type DeviceRepo = Pick<DeviceStore, 'upsertSeen' | 'list'>;

export interface ScannerOptions {
  runner: CommandRunner;
  lan: string;
  devices: DeviceRepo;
  vendors: VendorLookup;
  log: Logger;
  /** dnsmasq lease file, when a DHCP server runs on the box. */
  leasesPath?: string;
  now?: () => Date;
  /** A device not seen in the neighbour table for this long is offline. */
  onlineWindowMs?: number;
}

/**
 * Keeps the device list and the address → device map in step with the neighbour table (and DHCP
 * leases). MAC is the identity; addresses move between devices and the map follows them, so a
 * DHCP change moves future bytes, never past ones.
 */
export class DeviceScanner {
  readonly #byMac = new Map<string, number>();
  readonly #byAddress = new Map<string, { deviceId: number; seen: number }>();
  readonly #lastSeen = new Map<number, number>();
  #lastScan = 0;
  readonly #addressListeners: Array<() => void> = [];
  #addressesChanged = false;
  readonly #written = new Map<string, { fingerprint: string; at: number }>();
  readonly #now: () => Date;

  constructor(private readonly opts: ScannerOptions) {
    this.#now = opts.now ?? (() => new Date());
  }

  /** Loads the last known address holders so bytes to an address are attributed right after a restart. */
  async start(): Promise<void> {
    for (const device of await this.opts.devices.list()) {
      this.#byMac.set(device.mac, device.id);
      for (const a of device.addresses) this.#remember(a.address, device.id, a.lastSeen.getTime());
    }
    this.#announce();
  }

  /** Called after a load or scan that gave an address to a device (new, or moved from another). */
  onAddressesChanged(listener: () => void): void {
    this.#addressListeners.push(listener);
  }

  /** Every [address, device id] known, for copies of the map kept elsewhere (the DNS thread). */
  addressEntries(): Array<[string, number]> {
    return [...this.#byAddress].map(([address, v]) => [address, v.deviceId]);
  }

  #announce() {
    if (!this.#addressesChanged) return;
    this.#addressesChanged = false;
    for (const l of this.#addressListeners) {
      try {
        l();
      } catch (err) {
        this.opts.log.error({ err }, 'address change listener failed');
      }
    }
  }

  async scan(): Promise<void> {
    const at = this.#now();
    this.#lastScan = at.getTime();
    const seen = new Map<string, { addresses: Set<string>; hostname: string | null }>();
    const add = (mac: string, address: string, hostname: string | null = null) => {
      const entry = seen.get(mac) ?? { addresses: new Set<string>(), hostname: null };
      entry.addresses.add(address);
      entry.hostname ??= hostname;
      seen.set(mac, entry);
    };

    const neigh = parseNeighbours(
      await runChecked(this.opts.runner, 'ip', ['-j', 'neigh', 'show', 'dev', this.opts.lan]),
    );
    if (neigh.errors.length)
      this.opts.log.warn({ errors: neigh.errors.slice(0, 5) }, 'unreadable neighbour rows');
    for (const n of neigh.rows) add(n.mac, n.address);

    if (this.opts.leasesPath) {
      const text = await readFile(this.opts.leasesPath, 'utf8').catch(() => '');
      const leases = parseDnsmasqLeases(text);
      if (leases.errors.length)
        this.opts.log.warn({ errors: leases.errors.slice(0, 5) }, 'unreadable lease rows');
      for (const l of leases.rows) {
        if (!l.expiresAt || l.expiresAt > at) add(l.mac, l.address, l.hostname);
      }
    }

    for (const [mac, entry] of seen) {
      const addresses = [...entry.addresses].sort();
      const fingerprint = `${addresses.join(',')}|${entry.hostname ?? ''}`;
      const written = this.#written.get(mac);
      let deviceId = this.#byMac.get(mac);
      // The database only hears of a sighting when something changed or a minute passed:
      // a scan every few seconds would otherwise be a write per device per scan (SD cards wear).
      if (
        deviceId === undefined ||
        !written ||
        written.fingerprint !== fingerprint ||
        at.getTime() - written.at >= PERSIST_SIGHTING_MS
      ) {
        const device = await this.opts.devices.upsertSeen({
          mac,
          addresses,
          vendor: this.opts.vendors.vendorOf(mac),
          hostname: entry.hostname,
          at,
        });
        deviceId = device.id;
        this.#byMac.set(mac, deviceId);
        this.#written.set(mac, { fingerprint, at: at.getTime() });
      }
      this.#lastSeen.set(deviceId, at.getTime());
      for (const address of addresses) this.#remember(address, deviceId, at.getTime());
    }
    this.#announce();
  }

  async deviceIdForMac(mac: string): Promise<number> {
    const known = this.#byMac.get(mac);
    if (known !== undefined) return known;
    // Seen by the kernel counters before the neighbour table: create it now, addresses follow.
    const device = await this.opts.devices.upsertSeen({
      mac,
      addresses: [],
      vendor: this.opts.vendors.vendorOf(mac),
      at: this.#now(),
    });
    this.#byMac.set(mac, device.id);
    return device.id;
  }

  /**
   * An address the counters saw before the periodic scan did (a device that just appeared) gets
   * one fresh look at the neighbour table, so its first bytes are not booked as unattributed.
   */
  async deviceIdForAddress(address: string): Promise<number> {
    const known = this.#byAddress.get(address);
    if (known) return known.deviceId;
    if (this.#now().getTime() - this.#lastScan >= RESCAN_MIN_INTERVAL_MS) await this.scan();
    return this.#byAddress.get(address)?.deviceId ?? 0;
  }

  /** The DNS server's and the flow labeller's view: no scan, no await; 0 when not known yet. */
  deviceIdForAddressSync(address: string): number {
    return this.#byAddress.get(address)?.deviceId ?? 0;
  }

  /** The DNS server saw a client it cannot name: rescan (throttled) so its rules apply soon. */
  unknownClient(address: string): void {
    if (this.#now().getTime() - this.#lastScan < RESCAN_MIN_INTERVAL_MS) return;
    this.deviceIdForAddress(address).catch((err: unknown) =>
      this.opts.log.warn({ err, address }, 'rescan for an unknown DNS client failed'),
    );
  }

  macOf(deviceId: number): string | null {
    for (const [mac, id] of this.#byMac) if (id === deviceId) return mac;
    return null;
  }

  /** Every address last seen on this device (a device keeps several: IPv4, IPv6 global, privacy). */
  addressesOf(deviceId: number): string[] {
    const out: string[] = [];
    for (const [address, v] of this.#byAddress) if (v.deviceId === deviceId) out.push(address);
    return out;
  }

  /** Device ids with a known MAC, for pushing per-device settings into the kernel sets. */
  knownDevices(): Array<{ deviceId: number; mac: string }> {
    return [...this.#byMac].map(([mac, deviceId]) => ({ deviceId, mac }));
  }

  isOnline(deviceId: number): boolean {
    const seen = this.#lastSeen.get(deviceId);
    return seen !== undefined && this.#now().getTime() - seen <= (this.opts.onlineWindowMs ?? 5 * 60_000);
  }

  #remember(address: string, deviceId: number, seen: number) {
    const cur = this.#byAddress.get(address);
    if (!cur || cur.seen <= seen) {
      if (cur?.deviceId !== deviceId) this.#addressesChanged = true;
      this.#byAddress.set(address, { deviceId, seen });
    }
  }
}
