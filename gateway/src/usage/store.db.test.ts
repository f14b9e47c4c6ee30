import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usageHour, usageMinute } from '../db/schema.js';
import { forEachDatabase } from '../db/testing.js';
import type { UsageSink } from './meter.js';
import { UsageStore, type UsageIncrement, type UsageKind } from './store.js';

const TZ = 'Europe/Berlin';
const at = (iso: string) => new Date(iso);

function inc(iso: string, deviceId: number, kind: UsageKind, rx: number, tx: number): UsageIncrement {
  return {
    at: at(iso),
    deviceId,
    kind,
    rxBytes: rx,
    txBytes: tx,
    rxPackets: Math.ceil(rx / 1000),
    txPackets: 1,
  };
}

/** Deterministic so a failure reproduces (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Local wall-clock labels computed independently of TimeBuckets. */
const dayLabel = new Intl.DateTimeFormat('sv-SE', { timeZone: TZ, dateStyle: 'short' });
const hourLabel = new Intl.DateTimeFormat('sv-SE', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'shortOffset',
});
// "2024-10-27 02 GMT+2": the offset tells the two local 02:00 hours of the fall-back night apart.
const hourKey = (d: Date) => hourLabel.format(d).replace(/:\d\d /, ' ');

function sumBy<T>(items: T[], key: (t: T) => string, value: (t: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + value(item));
  return out;
}

forEachDatabase('UsageStore', (target) => {
  test('commit, then series and totals read it back', async () => {
    const { db } = await target.empty();
    const store: UsageStore & UsageSink = new UsageStore(db, {
      timeZone: TZ,
      now: () => at('2024-06-01T12:00:00Z'),
    });
    await store.commit({
      increments: [
        inc('2024-06-01T10:00:10Z', 1, 0, 1000, 100),
        inc('2024-06-01T10:00:50Z', 1, 0, 2000, 200), // same minute: merged before writing
        inc('2024-06-01T10:01:00Z', 1, 1, 500, 50),
        inc('2024-06-01T11:30:00Z', 2, 0, 7000, 700),
        inc('2024-06-01T11:30:00Z', 0, 0, 9, 9), // unattributed
      ],
      baselines: [{ key: 'nft:counter:fwd_up', packets: 10, bytes: 12345 }],
    });
    const minutes = await store.series({
      deviceId: 1,
      from: at('2024-06-01T10:00Z'),
      to: at('2024-06-01T11:00Z'),
      bucket: 'minute',
    });
    assert.deepEqual(minutes, [
      { start: at('2024-06-01T10:00Z'), rxBytes: 3000, txBytes: 300, rxPackets: 3, txPackets: 2 },
      { start: at('2024-06-01T10:01Z'), rxBytes: 500, txBytes: 50, rxPackets: 1, txPackets: 1 },
    ]);
    const internetOnly = await store.series({
      deviceId: 1,
      from: at('2024-06-01T00:00Z'),
      to: at('2024-06-02T00:00Z'),
      bucket: 'hour',
      kind: 0,
    });
    assert.deepEqual(
      internetOnly.map((p) => [p.start.toISOString(), p.rxBytes]),
      [['2024-06-01T10:00:00.000Z', 3000]],
    );
    const filled = await store.series({
      deviceId: 2,
      from: at('2024-06-01T09:00Z'),
      to: at('2024-06-01T12:00Z'),
      bucket: 'hour',
      fill: true,
    });
    assert.deepEqual(
      filled.map((p) => p.rxBytes),
      [0, 0, 7000],
    );
    // Local midnight in summer Berlin is 22:00 UTC the day before.
    const days = await store.series({
      deviceId: 2,
      from: at('2024-05-01T00:00Z'),
      to: at('2024-07-01T00:00Z'),
      bucket: 'day',
    });
    assert.deepEqual(
      days.map((p) => p.start.toISOString()),
      ['2024-05-31T22:00:00.000Z'],
    );
    assert.deepEqual(await store.totals(), [
      { deviceId: 2, rxBytes: 7000, txBytes: 700 },
      { deviceId: 1, rxBytes: 3500, txBytes: 350 },
      { deviceId: 0, rxBytes: 9, txBytes: 9 },
    ]);
    assert.deepEqual(await store.totals({ kind: 1 }), [{ deviceId: 1, rxBytes: 500, txBytes: 50 }]);
    assert.deepEqual(
      await store.summary({ from: at('2024-06-01T10:00Z'), to: at('2024-06-01T11:00Z'), limit: 1 }),
      [{ deviceId: 1, rxBytes: 3500, txBytes: 350 }],
    );
    assert.equal(store.tierFor(at('2024-06-01T10:00Z')), 'minute');
    assert.equal(store.tierFor(at('2024-05-01T10:00Z')), 'hour');
    assert.equal(store.tierFor(at('2020-05-01T10:00Z')), 'day');
  });

  test('rollups equal the raw increments across DST switches, in local hours and days', async () => {
    const { db } = await target.empty();
    const store = new UsageStore(db, { timeZone: TZ });
    const rand = random(42);
    const raw: UsageIncrement[] = [];
    // Both 2024 switches: spring forward (23 h day) and fall back (25 h day, 02:00 twice).
    for (const [fromIso, toIso] of [
      ['2024-03-29T00:00Z', '2024-04-02T00:00Z'],
      ['2024-10-25T00:00Z', '2024-10-29T00:00Z'],
    ] as const) {
      const span = at(toIso).getTime() - at(fromIso).getTime();
      for (let i = 0; i < 600; i++) {
        const when = new Date(at(fromIso).getTime() + Math.floor(rand() * span));
        const bytes = () => Math.floor(rand() * 5e6);
        raw.push(inc(when.toISOString(), Math.floor(rand() * 4), (i % 3) as UsageKind, bytes(), bytes()));
      }
    }
    for (let i = 0; i < raw.length; i += 97)
      await store.commit({ increments: raw.slice(i, i + 97), baselines: [] });

    const expectTotal = sumBy(
      raw,
      (r) => String(r.deviceId),
      (r) => r.rxBytes + r.txBytes,
    );
    const all = await store.totals();
    assert.deepEqual(new Map(all.map((t) => [String(t.deviceId), t.rxBytes + t.txBytes])), expectTotal);

    const range = { from: at('2024-01-01T00:00Z'), to: at('2025-01-01T00:00Z') };
    for (const deviceId of [0, 1, 2, 3]) {
      const mine = raw.filter((r) => r.deviceId === deviceId);
      for (const bucket of ['minute', 'hour', 'day'] as const) {
        const series = await store.series({ deviceId, ...range, bucket });
        const sum = series.reduce((s, p) => s + p.rxBytes + p.txBytes + p.rxPackets + p.txPackets, 0);
        const want = mine.reduce((s, r) => s + r.rxBytes + r.txBytes + r.rxPackets + r.txPackets, 0);
        assert.equal(sum, want, `device ${deviceId}, ${bucket} tier`);
      }
      const days = await store.series({ deviceId, ...range, bucket: 'day' });
      assert.deepEqual(
        new Map(days.map((p) => [dayLabel.format(p.start), p.rxBytes])),
        sumBy(
          mine,
          (r) => dayLabel.format(r.at),
          (r) => r.rxBytes,
        ),
        'day buckets are local calendar days',
      );
      for (const p of days)
        assert.match(hourLabel.format(p.start), / 00:00 /, 'a day starts at local midnight');
      const hours = await store.series({ deviceId, ...range, bucket: 'hour' });
      assert.deepEqual(
        new Map(hours.map((p) => [hourKey(p.start), p.rxBytes])),
        sumBy(
          mine,
          (r) => hourKey(r.at),
          (r) => r.rxBytes,
        ),
        'hour buckets are local hours; the repeated 02:00 is two buckets',
      );
    }
    const lengths = (
      await store.series({
        deviceId: 1,
        from: at('2024-10-25T22:00Z'),
        to: at('2024-10-28T23:00Z'),
        bucket: 'day',
        fill: true,
      })
    )
      .map((p, i, a) => ((a[i + 1]?.start.getTime() ?? NaN) - p.start.getTime()) / 3_600_000)
      .slice(0, 2);
    assert.deepEqual(lengths, [24, 25], 'the fall-back day lasts 25 hours');
  });

  test('prune drops old minutes and hours but leaves totals unchanged', async () => {
    const { db } = await target.empty();
    let now = at('2024-01-01T00:00Z');
    const store = new UsageStore(db, { timeZone: TZ, now: () => now });
    const increments: UsageIncrement[] = [];
    for (let day = 0; day < 120; day += 3) {
      increments.push(
        inc(new Date(now.getTime() + day * 86_400_000 + 3_600_000).toISOString(), 5, 0, 1000 + day, day),
      );
    }
    await store.commit({ increments, baselines: [] });
    const before = await store.totals();
    now = at('2024-05-01T00:00Z');
    const deleted = await store.prune(now);
    assert.ok(
      deleted.minute === increments.length && deleted.hour > 0 && deleted.day === 0,
      JSON.stringify(deleted),
    );
    assert.deepEqual(await store.totals(), before);
    assert.equal((await db.select().from(usageMinute)).length, 0);
    const hours = await db.select().from(usageHour);
    assert.ok(hours.every((h) => h.bucketStart >= new Date(now.getTime() - store.retention.hourMs)));
  });

  test('baselines survive close and reopen exactly', async () => {
    const location = await target.location();
    const first = await target.openAt(location);
    const baselines = [
      { key: 'nft:dev_tx:02:50:00:00:00:01', packets: 123, bytes: 2 ** 52 + 7 },
      { key: 'nft:dev_rx:02:50:00:00:00:01', packets: 0, bytes: 0 },
      { key: 'ct:tcp 10.0.0.2:5000 1.1.1.1:443', packets: 9, bytes: 999 },
      { key: 'nft_counter_x', packets: 1, bytes: 1 }, // "_" must not act as a LIKE wildcard
    ];
    await new UsageStore(first.db).commit({ increments: [], baselines });
    await new UsageStore(first.db).commit({
      increments: [],
      baselines: [{ key: 'ct:tcp 10.0.0.2:5000 1.1.1.1:443', packets: 10, bytes: 1500 }],
    });
    await first.close();
    const second = await target.openAt(location);
    const store = new UsageStore(second.db);
    const all = await store.loadBaselines();
    assert.equal(all.size, 4);
    assert.deepEqual(all.get('nft:dev_tx:02:50:00:00:00:01'), { packets: 123, bytes: 2 ** 52 + 7 });
    assert.deepEqual(all.get('ct:tcp 10.0.0.2:5000 1.1.1.1:443'), { packets: 10, bytes: 1500 });
    assert.deepEqual([...(await store.loadBaselines('nft:')).keys()].sort(), [
      'nft:dev_rx:02:50:00:00:00:01',
      'nft:dev_tx:02:50:00:00:00:01',
    ]);
    await second.close();
  });

  test('a failed commit writes neither usage nor baselines', async () => {
    const { db } = await target.empty();
    const store = new UsageStore(db, { timeZone: TZ });
    const bad = { key: 'nft:counter:fwd_up', packets: 1, bytes: 2 ** 80 }; // overflows bigint
    await assert.rejects(
      store.commit({ increments: [inc('2024-06-01T10:00Z', 1, 0, 5, 5)], baselines: [bad] }),
    );
    assert.deepEqual(await store.totals(), []);
    assert.equal((await store.loadBaselines()).size, 0);
  });

  test('concurrent commits lose no increment', async () => {
    const { db } = await target.empty();
    const store = new UsageStore(db, { timeZone: TZ });
    const commits = Array.from({ length: 25 }, (_, i) =>
      store.commit({
        increments: [0, 1, 2, 3].map((d) => inc('2024-06-01T10:00:30Z', d, 0, 100 + i, 1)),
        baselines: [{ key: 'nft:counter:fwd_up', packets: i, bytes: i }],
      }),
    );
    await Promise.all(commits);
    const expected = Array.from({ length: 25 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
    for (const t of await store.totals())
      assert.deepEqual([t.rxBytes, t.txBytes], [expected, 25], `device ${t.deviceId}`);
    assert.equal((await store.totals()).length, 4);
  });
});
