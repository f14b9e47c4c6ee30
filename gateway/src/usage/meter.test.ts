import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { UsageMeter, type CounterSnapshot, type UsageSink } from './meter.js';
import type { CounterBaseline, UsageIncrement } from './store.js';

const log = pino({ level: 'silent' });
const MAC_A = '02:50:50:00:00:01';
const MAC_B = '02:50:50:00:00:02';

/** A sink that keeps what was committed, like the database would, and can be told to fail. */
class MemorySink implements UsageSink {
  baselines = new Map<string, { packets: number; bytes: number }>();
  rows: UsageIncrement[] = [];
  failNext = false;
  async loadBaselines() {
    return new Map(this.baselines);
  }
  async commit(batch: { increments: UsageIncrement[]; baselines: CounterBaseline[] }) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database down');
    }
    this.rows.push(...batch.increments);
    for (const b of batch.baselines) this.baselines.set(b.key, { packets: b.packets, bytes: b.bytes });
  }
  total(deviceId: number, kind = 0) {
    return this.rows
      .filter((r) => r.deviceId === deviceId && r.kind === kind)
      .reduce((a, r) => ({ rx: a.rx + r.rxBytes, tx: a.tx + r.txBytes }), { rx: 0, tx: 0 });
  }
}

function snap(
  tx: Record<string, number>,
  rx4: Record<string, number>,
  counters: Record<string, number> = {},
): CounterSnapshot {
  const els = (m: Record<string, number>) =>
    Object.entries(m).map(([key, bytes]) => ({ key, bytes, packets: Math.ceil(bytes / 1000) }));
  const up = Object.values(tx).reduce((a, b) => a + b, 0);
  const down = Object.values(rx4).reduce((a, b) => a + b, 0);
  return {
    sets: { dev_tx: els(tx), dev_rx4: els(rx4) },
    counters: Object.fromEntries(
      Object.entries({ fwd_up: up, fwd_down: down, ...counters }).map(([k, bytes]) => [
        k,
        { bytes, packets: Math.ceil(bytes / 1000) },
      ]),
    ),
  };
}

function meterWith(snapshots: CounterSnapshot[], sink: MemorySink, clock = { t: 1_000_000 }) {
  let i = 0;
  const resolver = {
    deviceIdForMac: async (mac: string) => (mac === MAC_A ? 1 : mac === MAC_B ? 2 : 99),
    deviceIdForAddress: async (ip: string) => (ip === '192.168.77.11' ? 1 : ip === '192.168.77.12' ? 2 : 0),
  };
  return new UsageMeter(
    { snapshot: async () => snapshots[Math.min(i++, snapshots.length - 1)]! },
    resolver,
    sink,
    log,
    () => {
      clock.t += 1000;
      return new Date(clock.t);
    },
  );
}

test('counter differences become per-device usage; upload by MAC, download by address', async () => {
  const sink = new MemorySink();
  const meter = meterWith(
    [
      snap({ [MAC_A]: 1000 }, { '192.168.77.11': 5000 }),
      snap({ [MAC_A]: 3000, [MAC_B]: 700 }, { '192.168.77.11': 9000, '192.168.77.12': 100 }),
    ],
    sink,
  );
  await meter.start();
  await meter.sample();
  await meter.sample();
  await meter.flush();
  assert.deepEqual(sink.total(1), { rx: 9000, tx: 3000 });
  assert.deepEqual(sink.total(2), { rx: 100, tx: 700 });
  assert.deepEqual(
    meter.rates.find((r) => r.deviceId === 1),
    { deviceId: 1, rxBps: 4000, txBps: 2000 },
  );
});

test('a restart resumes from the committed baselines: no loss, no double count', async () => {
  const sink = new MemorySink();
  const first = meterWith([snap({ [MAC_A]: 1000 }, {}), snap({ [MAC_A]: 4000 }, {})], sink);
  await first.start();
  await first.sample();
  await first.flush();
  await first.sample(); // read but never flushed: the crash loses the batch, not the bytes
  const second = meterWith([snap({ [MAC_A]: 10_000 }, {})], sink);
  await second.start();
  await second.sample();
  await second.flush();
  assert.deepEqual(sink.total(1), { rx: 0, tx: 10_000 });
});

test('a failed commit keeps the batch and its baselines for the next flush', async () => {
  const sink = new MemorySink();
  const meter = meterWith([snap({ [MAC_A]: 1000 }, {}), snap({ [MAC_A]: 1500 }, {})], sink);
  await meter.start();
  await meter.sample();
  sink.failNext = true;
  await assert.rejects(meter.flush(), /commit usage batch of 1 rows: database down/);
  await meter.sample();
  await meter.flush();
  assert.deepEqual(sink.total(1), { rx: 0, tx: 1500 });
  assert.equal(sink.baselines.get(`nft:dev_tx:${MAC_A}`)?.bytes, 1500);
});

test('a counter that goes down was reset and counts from zero', async () => {
  const sink = new MemorySink();
  const meter = meterWith([snap({ [MAC_A]: 5000 }, {}), snap({ [MAC_A]: 200 }, {})], sink);
  await meter.start();
  await meter.sample();
  await meter.sample();
  await meter.flush();
  assert.deepEqual(sink.total(1), { rx: 0, tx: 5200 });
});

test('bytes to an unknown address and beyond a full set are unattributed, never dropped', async () => {
  const sink = new MemorySink();
  const s = snap({ [MAC_A]: 1000 }, { '192.168.77.200': 800 });
  s.counters.fwd_up = { bytes: 1600, packets: 3 }; // 600 bytes the set could not hold
  s.counters.lan_lan = { bytes: 50, packets: 1 };
  const meter = meterWith([s], sink);
  await meter.start();
  await meter.sample();
  await meter.flush();
  assert.deepEqual(sink.total(0), { rx: 800, tx: 600 });
  assert.deepEqual(sink.total(0, 2), { rx: 0, tx: 50 });
});

test('an impossible jump between two samples is rejected, but the first sample after a start is not', async () => {
  const sink = new MemorySink();
  sink.baselines.set(`nft:dev_tx:${MAC_A}`, { bytes: 0, packets: 0 });
  const huge = 40e9; // more than a 100 Gbit/s link moves in 2 s
  const meter = meterWith([snap({ [MAC_A]: huge }, {}), snap({ [MAC_A]: huge * 2 }, {})], sink);
  await meter.start();
  await meter.sample();
  await meter.sample();
  await meter.flush();
  assert.equal(sink.total(1).tx, huge);
  assert.equal(meter.rejectedJumps, 2, 'the device element and the forward total both jumped');
});
