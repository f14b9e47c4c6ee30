import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { DeviceStore } from '../db/device-store.js';
import { forEachDatabase } from '../db/testing.js';
import { AppError } from '../errors.js';
import { RuleStore } from './rule-store.js';

const t0 = new Date('2026-11-25T10:00:00Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);

forEachDatabase('RuleStore', (target) => {
  test('create, get, list, update, delete; every target and scope shape round-trips', async () => {
    const { db } = await target.empty();
    let clock = t0;
    const store = new RuleStore(db, () => clock);
    const device = await new DeviceStore(db).upsertSeen({ mac: '02:50:00:00:00:01', addresses: [], at: t0 });

    const internet = await store.create({
      action: 'block',
      target: { type: 'internet' },
      scope: { type: 'all' },
    });
    assert.deepEqual(internet, {
      id: internet.id,
      action: 'block',
      target: { type: 'internet' },
      scope: { type: 'all' },
      enabled: true,
      note: null,
      hits: 0,
      lastHitAt: null,
      createdAt: t0,
      updatedAt: t0,
    });
    const service = await store.create({
      action: 'allow',
      target: { type: 'service', id: 'youtube' },
      scope: { type: 'device', id: device.id },
      enabled: false,
      note: 'homework videos',
    });
    const category = await store.create({
      action: 'block',
      target: { type: 'category', id: 'gaming' },
      scope: { type: 'device', id: device.id },
    });
    const domain = await store.create({
      action: 'allow',
      target: { type: 'domain', value: 'khanacademy.org' },
      scope: { type: 'all' },
    });
    assert.deepEqual(
      (await store.list()).map((r) => [r.id, r.action, r.target, r.scope, r.enabled, r.note]),
      [
        [internet.id, 'block', { type: 'internet' }, { type: 'all' }, true, null],
        [
          service.id,
          'allow',
          { type: 'service', id: 'youtube' },
          { type: 'device', id: device.id },
          false,
          'homework videos',
        ],
        [
          category.id,
          'block',
          { type: 'category', id: 'gaming' },
          { type: 'device', id: device.id },
          true,
          null,
        ],
        [domain.id, 'allow', { type: 'domain', value: 'khanacademy.org' }, { type: 'all' }, true, null],
      ],
    );
    assert.deepEqual(await store.get(service.id), service);

    clock = later(60);
    const changed = await store.update(service.id, {
      target: { type: 'internet' },
      scope: { type: 'all' },
      enabled: true,
      note: null,
    });
    assert.deepEqual(changed, {
      ...service,
      target: { type: 'internet' },
      scope: { type: 'all' },
      enabled: true,
      note: null,
      updatedAt: later(60),
    });
    const onlyAction = await store.update(category.id, { action: 'allow' });
    assert.deepEqual(onlyAction, { ...category, action: 'allow', updatedAt: later(60) });
    assert.equal(await store.update(9999, { enabled: false }), null);

    assert.deepEqual(await store.delete(domain.id), domain);
    assert.equal(await store.delete(domain.id), null);
    assert.equal(await store.get(domain.id), null);
    assert.equal((await store.list()).length, 3);
  });

  test('a device scope must name an existing device; deleting the device deletes its rules', async () => {
    const { db } = await target.empty();
    const store = new RuleStore(db);
    await assert.rejects(
      store.create({ action: 'block', target: { type: 'internet' }, scope: { type: 'device', id: 4242 } }),
      (err) => err instanceof AppError && err.status === 400 && /device does not exist/.test(err.message),
    );
    const device = await new DeviceStore(db).upsertSeen({ mac: '02:50:00:00:00:02', addresses: [], at: t0 });
    const rule = await store.create({
      action: 'block',
      target: { type: 'internet' },
      scope: { type: 'device', id: device.id },
    });
    await assert.rejects(
      store.update(rule.id, { scope: { type: 'device', id: 4242 } }),
      (err) => err instanceof AppError && err.status === 400,
    );
    await db.execute(sql`delete from devices where id = ${device.id}`);
    assert.deepEqual(await store.list(), []);
  });

  test('addHits adds counts in one batch, only moves last_hit_at forward, skips deleted rules, keeps updated_at', async () => {
    const { db } = await target.empty();
    const store = new RuleStore(db, () => t0);
    const a = await store.create({ action: 'block', target: { type: 'internet' }, scope: { type: 'all' } });
    const b = await store.create({
      action: 'block',
      target: { type: 'domain', value: 'example.com' },
      scope: { type: 'all' },
    });
    assert.equal(
      await store.addHits(
        new Map([
          [a.id, { count: 3, lastAt: later(10) }],
          [b.id, { count: 1, lastAt: later(20) }],
          [9999, { count: 5, lastAt: later(30) }],
        ]),
      ),
      2,
    );
    assert.equal(await store.addHits(new Map([[a.id, { count: 2, lastAt: later(5) }]])), 1);
    assert.equal(await store.addHits(new Map()), 0);
    const [ra, rb] = await store.list();
    assert.deepEqual([ra?.hits, ra?.lastHitAt, ra?.updatedAt], [5, later(10), t0]);
    assert.deepEqual([rb?.hits, rb?.lastHitAt], [1, later(20)]);

    // Many rules at once (more than one chunk).
    const many = new Map<number, { count: number; lastAt: Date }>();
    for (let i = 0; i < 2500; i++)
      many.set(i % 2 === 0 ? a.id : 100_000 + i, { count: 1, lastAt: later(40) });
    assert.equal(await store.addHits(many), 1);
    assert.equal((await store.get(a.id))?.hits, 6);
  });
});
