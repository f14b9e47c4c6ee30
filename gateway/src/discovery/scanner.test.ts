import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DeviceScanner, type DeviceRepo, type DeviceRow } from './scanner.js';
import type { CommandRunner } from '../os/runner.js';

/** A device table in memory, with the same upsert semantics as db/device-store.ts. */
class MemoryDevices implements DeviceRepo {
  rows: DeviceRow[] = [];
  writes = 0;
  async upsertSeen(seen: { mac: string; addresses: string[]; hostname?: string | null; at: Date }) {
    this.writes += 1;
    let row = this.rows.find((r) => r.mac === seen.mac);
    if (!row) {
      row = {
        id: this.rows.length + 1,
        mac: seen.mac,
        name: null,
        hostname: null,
        vendor: null,
        firstSeen: seen.at,
        lastSeen: seen.at,
        bypassPrevention: true,
        blockQuic: false,
        addresses: [],
      };
      this.rows.push(row);
    }
    row.lastSeen = seen.at;
    row.hostname = seen.hostname ?? row.hostname;
    for (const address of seen.addresses) {
      row.addresses = row.addresses
        .filter((a) => a.address !== address)
        .concat({ address, lastSeen: seen.at });
    }
    return row;
  }
  async list() {
    return this.rows;
  }
}

function neighbourRunner(table: { current: Array<[string, string]> }, calls: { n: number }): CommandRunner {
  return {
    async run() {
      calls.n += 1;
      return {
        code: 0,
        stderr: '',
        stdout: JSON.stringify(table.current.map(([dst, lladdr]) => ({ dst, lladdr, state: ['REACHABLE'] }))),
      };
    },
    spawn() {
      throw new Error('not used');
    },
  };
}

function scanner(
  devices: MemoryDevices,
  table: { current: Array<[string, string]> },
  clock: { t: number },
  calls = { n: 0 },
) {
  return new DeviceScanner({
    runner: neighbourRunner(table, calls),
    lan: 'lan0',
    devices,
    vendors: { vendorOf: () => null },
    log: pino({ level: 'silent' }),
    now: () => new Date(clock.t),
  });
}

test('an address that moves to another device takes future bytes with it, and the old holder survives a restart', async () => {
  const devices = new MemoryDevices();
  const clock = { t: 1_000_000 };
  const table = { current: [['192.168.77.11', '02:00:00:00:00:01']] as Array<[string, string]> };
  const s = scanner(devices, table, clock);
  await s.start();
  await s.scan();
  assert.equal(await s.deviceIdForAddress('192.168.77.11'), 1);
  clock.t += 10_000;
  table.current = [['192.168.77.11', '02:00:00:00:00:02']];
  await s.scan();
  assert.equal(await s.deviceIdForAddress('192.168.77.11'), 2);

  table.current = [];
  const restarted = scanner(devices, table, clock);
  await restarted.start();
  assert.equal(await restarted.deviceIdForAddress('192.168.77.11'), 2);
});

test('address listeners hear of new and moved addresses, not of repeated sightings', async () => {
  const devices = new MemoryDevices();
  const clock = { t: 1_000_000 };
  const table = { current: [['192.168.77.11', '02:00:00:00:00:01']] as Array<[string, string]> };
  const s = scanner(devices, table, clock);
  const heard: Array<Array<[string, number]>> = [];
  s.onAddressesChanged(() => heard.push(s.addressEntries()));
  await s.start();
  await s.scan();
  clock.t += 10_000;
  await s.scan();
  assert.deepEqual(heard, [[['192.168.77.11', 1]]], 'one change: the first sighting');
  clock.t += 10_000;
  table.current = [['192.168.77.11', '02:00:00:00:00:02']];
  await s.scan();
  assert.deepEqual(heard.at(-1), [['192.168.77.11', 2]], 'the address moved');
  assert.equal(heard.length, 2);
});

test('an unknown address gets one fresh neighbour read, at most once a second', async () => {
  const devices = new MemoryDevices();
  const clock = { t: 1_000_000 };
  const calls = { n: 0 };
  const table = { current: [] as Array<[string, string]> };
  const s = scanner(devices, table, clock, calls);
  await s.start();
  await s.scan();
  table.current = [['192.168.77.12', '02:00:00:00:00:03']];
  clock.t += 1500;
  assert.equal(await s.deviceIdForAddress('192.168.77.12'), 1);
  assert.equal(calls.n, 2);
  assert.equal(await s.deviceIdForAddress('192.168.77.99'), 0);
  assert.equal(calls.n, 2, 'no second read within a second');
});

test('repeated sightings are written once a minute unless something changed', async () => {
  const devices = new MemoryDevices();
  const clock = { t: 1_000_000 };
  const table = { current: [['192.168.77.11', '02:00:00:00:00:01']] as Array<[string, string]> };
  const s = scanner(devices, table, clock);
  await s.start();
  for (let i = 0; i < 10; i++) {
    await s.scan();
    clock.t += 5000;
  }
  assert.equal(devices.writes, 1);
  assert.equal(s.isOnline(1), true);
  table.current.push(['fd77:77::11', '02:00:00:00:00:01']);
  await s.scan();
  assert.equal(devices.writes, 2, 'a new address is written at once');
  clock.t += 60_000;
  await s.scan();
  assert.equal(devices.writes, 3);
  clock.t += 6 * 60_000;
  table.current = [];
  await s.scan();
  assert.equal(s.isOnline(1), false);
});
