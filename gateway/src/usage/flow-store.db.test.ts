import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../db/testing.js';
import { FlowStore } from './flow-store.js';

forEachDatabase('FlowStore', (target) => {
  test('rows add up per hour and remote; baselines upsert and close in the same commit', async () => {
    const store = new FlowStore((await target.empty()).db);
    const hour = new Date('2026-11-25T10:00:00Z');
    const row = {
      bucketStart: hour,
      deviceId: 1,
      remote: '198.18.0.1',
      proto: 'tcp',
      port: 443,
      domain: '',
      app: '',
    };
    await store.commit({
      rows: [
        { ...row, rxBytes: 100, txBytes: 10, flows: 0 },
        { ...row, remote: '2001:db8:77::1', rxBytes: 5, txBytes: 5, flows: 1 },
      ],
      baselines: [
        { key: 'a', origBytes: 10, origPackets: 1, replyBytes: 100, replyPackets: 2, domain: '', app: '' },
      ],
      closed: [],
    });
    await store.commit({
      rows: [{ ...row, rxBytes: 900, txBytes: 90, flows: 1 }],
      baselines: [
        {
          key: 'b',
          origBytes: 1,
          origPackets: 1,
          replyBytes: 1,
          replyPackets: 1,
          domain: 'x.test',
          app: 'curl',
        },
      ],
      closed: ['a'],
    });
    const top = await store.topRemotes({
      deviceId: 1,
      from: new Date('2026-11-25T10:30:00Z'),
      to: new Date('2026-11-25T11:00:00Z'),
      limit: 10,
    });
    assert.deepEqual(top, [
      { remote: '198.18.0.1', proto: 'tcp', port: 443, rxBytes: 1000, txBytes: 100, flows: 1 },
      { remote: '2001:db8:77::1', proto: 'tcp', port: 443, rxBytes: 5, txBytes: 5, flows: 1 },
    ]);
    assert.deepEqual(
      (await store.loadBaselines()).map((b) => b.key),
      ['b'],
    );
    assert.equal(await store.prune(new Date('2026-11-25T11:00:00Z')), 2);
  });
});
