import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceRepo } from '../discovery/scanner.js';
import type { DeviceQueriesRepo } from '../discovery/service.js';
import { DeviceStore } from './device-store.js';
import { forEachDatabase } from './testing.js';

const t0 = new Date('2024-06-01T10:00:00Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);

forEachDatabase('DeviceStore', (target) => {
  test('creates on first sight, then refreshes last_seen, addresses and names', async () => {
    const { db } = await target.empty();
    const store: DeviceStore & DeviceRepo & DeviceQueriesRepo = new DeviceStore(db, () => t0);
    const first = await store.upsertSeen({
      mac: '02:50:AA:00:00:01',
      addresses: ['192.168.7.20'],
      vendor: 'Acme',
      at: t0,
    });
    assert.equal(first.mac, '02:50:aa:00:00:01', 'macaddr normalises to lowercase');
    assert.deepEqual(first.addresses, [{ address: '192.168.7.20', lastSeen: t0 }]);
    assert.deepEqual([first.firstSeen, first.lastSeen, first.name, first.hostname], [t0, t0, null, null]);

    const again = await store.upsertSeen({
      mac: '02-50-aa-00-00-01', // another notation, same device
      addresses: ['fd00::20', 'fe80::50:aaff:fe00:1%br-lan', '192.168.7.20'],
      hostname: 'laptop',
      at: later(60),
    });
    assert.equal(again.id, first.id);
    assert.deepEqual(
      [again.firstSeen, again.lastSeen, again.vendor, again.hostname],
      [t0, later(60), 'Acme', 'laptop'],
    );
    assert.deepEqual(again.addresses.map((a) => a.address).sort(), [
      '192.168.7.20',
      'fd00::20',
      'fe80::50:aaff:fe00:1',
    ]);

    // An out-of-order, older sighting without hostname neither rewinds nor erases anything.
    const stale = await store.upsertSeen({
      mac: '02:50:aa:00:00:01',
      addresses: ['192.168.7.20'],
      at: later(1),
    });
    assert.deepEqual([stale.lastSeen, stale.hostname], [later(60), 'laptop']);

    const other = await store.upsertSeen({ mac: '02:50:aa:00:00:02', addresses: [], at: later(5) });
    assert.notEqual(other.id, first.id);
    assert.deepEqual(
      (await store.list()).map((d) => d.mac),
      ['02:50:aa:00:00:01', '02:50:aa:00:00:02'],
    );
    assert.equal((await store.getByMac('0250.aa00.0002'))?.id, other.id);
    assert.equal(await store.getByMac('02:50:aa:00:00:99'), null);

    assert.equal((await store.rename(first.id, '  Dad laptop '))?.name, 'Dad laptop');
    assert.equal((await store.get(first.id))?.name, 'Dad laptop');
    assert.equal((await store.rename(first.id, null))?.name, null);
    assert.equal(await store.rename(9999, 'nobody'), null);
    assert.deepEqual(await store.flags(), { bypassExempt: [], quicBlocked: [] });
    const changed = await store.update(first.id, { bypassPrevention: false, blockQuic: true });
    assert.equal(changed?.name, null, 'a flags-only patch keeps the name');
    assert.deepEqual(await store.flags(), { bypassExempt: [first.id], quicBlocked: [first.id] });
    assert.equal(await store.get(9999), null);
  });

  test('a malformed MAC or address is rejected by the database types', async () => {
    const { db } = await target.empty();
    const store = new DeviceStore(db);
    await assert.rejects(store.upsertSeen({ mac: 'not-a-mac', addresses: [], at: t0 }));
    await assert.rejects(store.upsertSeen({ mac: '02:50:aa:00:00:03', addresses: ['300.1.1.1'], at: t0 }));
    assert.deepEqual(await store.list(), [], 'the failed address rolled the device back too');
  });
});
