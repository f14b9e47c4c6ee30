import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import {
  APP_WAIT_MS,
  FlowLedger,
  type FlowAppLabeler,
  type FlowLabeler,
  type FlowSink,
  type LabelledBaseline,
} from './flows.js';
import { TimeBuckets } from './buckets.js';
import { FlowTracker, type Flow } from '../conntrack/index.js';
import type { FlowBatch } from './flow-store.js';

const log = pino({ level: 'silent' });
const GATEWAY = new Set(['192.168.77.1', '198.18.0.2']);
const addresses = {
  isDevice: (a: string) => a.startsWith('192.168.77.') && !GATEWAY.has(a),
  isRemote: (a: string) => !a.startsWith('192.168.77.') && !GATEWAY.has(a),
};

class MemorySink implements FlowSink {
  baselines = new Map<string, LabelledBaseline>();
  batches: FlowBatch[] = [];
  failNext = false;
  async loadBaselines() {
    return [...this.baselines.values()];
  }
  async commit(batch: FlowBatch) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.batches.push(batch);
    for (const b of batch.baselines) this.baselines.set(b.key, b);
    for (const k of batch.closed) this.baselines.delete(k);
  }
  bytes(remote: string) {
    return this.batches
      .flatMap((b) => b.rows)
      .filter((r) => r.remote === remote)
      .reduce((a, r) => ({ rx: a.rx + r.rxBytes, tx: a.tx + r.txBytes }), { rx: 0, tx: 0 });
  }
}

function flow(src: string, dst: string, sport: number, up: number, down: number, id = 7): Flow {
  return {
    family: 'ipv4',
    proto: 'tcp',
    protoNum: 6,
    timeout: 100,
    state: 'ESTABLISHED',
    orig: { src, dst, sport, dport: 443, bytes: up, packets: 1 },
    reply: { src: dst, dst: '198.18.0.2', sport: 443, dport: sport, bytes: down, packets: 1 },
    id,
    unreplied: false,
    assured: true,
  };
}

function ledger(
  sink: MemorySink,
  tracker = new FlowTracker({}),
  labeler: FlowLabeler | null = null,
  apps: FlowAppLabeler | null = null,
  now = () => new Date('2026-11-25T10:30:00Z'),
) {
  const owners = { deviceIdForAddress: async (a: string) => (a === '192.168.77.11' ? 1 : 0) };
  return {
    tracker,
    ledger: new FlowLedger(tracker, sink, owners, addresses, new TimeBuckets('UTC'), log, now, labeler, apps),
  };
}

test('flows opened from the LAN become per-device, per-remote usage; the gateway’s own, flows to it and LAN↔LAN do not', async () => {
  const sink = new MemorySink();
  const { tracker, ledger: l } = ledger(sink);
  await l.start();
  l.push(
    tracker.ingestDump(
      [
        flow('192.168.77.11', '198.18.0.1', 40000, 1000, 50_000),
        flow('192.168.77.1', '198.18.0.1', 40001, 70, 90, 8), // the gateway itself
        flow('198.18.0.9', '192.168.77.11', 40002, 10, 10, 9), // from the WAN
        flow('192.168.77.11', '192.168.77.1', 40003, 300, 900, 10), // to the gateway's UI
        flow('192.168.77.11', '198.18.0.2', 40004, 300, 900, 11), // to the gateway's WAN address
        flow('192.168.77.11', '192.168.77.12', 40005, 300, 900, 12), // to another device
      ],
      Date.now(),
    ),
  );
  await l.flush();
  const rows = sink.batches.flatMap((b) => b.rows);
  assert.equal(rows.length, 1);
  assert.deepEqual(
    { ...rows[0], bucketStart: rows[0]!.bucketStart.toISOString() },
    {
      bucketStart: '2026-11-25T10:00:00.000Z',
      deviceId: 1,
      remote: '198.18.0.1',
      proto: 'tcp',
      port: 443,
      domain: '',
      app: '',
      rxBytes: 50_000,
      txBytes: 1000,
      flows: 0,
    },
  );
});

test('a DESTROY later than the dump that closed its flow adds its last bytes, not a second flow', async () => {
  const sink = new MemorySink();
  const { tracker, ledger: l } = ledger(sink);
  await l.start();
  l.push(tracker.ingestDump([flow('192.168.77.11', '198.18.0.1', 40000, 1000, 50_000)], Date.now() - 2000));
  await l.flush();
  l.push(tracker.ingestDump([], Date.now()));
  await l.flush();
  l.push(
    tracker.ingestEvent({ type: 'DESTROY', flow: flow('192.168.77.11', '198.18.0.1', 40000, 1200, 60_000) }),
  );
  await l.flush();
  const rows = sink.batches.flatMap((b) => b.rows);
  assert.deepEqual(
    [
      rows.reduce((a, r) => a + r.txBytes, 0),
      rows.reduce((a, r) => a + r.rxBytes, 0),
      rows.reduce((a, r) => a + r.flows, 0),
    ],
    [1200, 60_000, 1],
  );
});

test('a restart resumes from the persisted flow baselines: a live flow is not counted twice', async () => {
  const sink = new MemorySink();
  const first = ledger(sink);
  await first.ledger.start();
  first.ledger.push(
    first.tracker.ingestDump([flow('192.168.77.11', '198.18.0.1', 40000, 1000, 50_000)], Date.now()),
  );
  await first.ledger.flush();
  // crash here; the kernel's counters went on
  const second = ledger(sink);
  await second.ledger.start();
  second.ledger.push(
    second.tracker.ingestDump([flow('192.168.77.11', '198.18.0.1', 40000, 3000, 80_000)], Date.now()),
  );
  await second.ledger.flush();
  assert.deepEqual(sink.bytes('198.18.0.1'), { rx: 80_000, tx: 3000 });
});

test('a closed flow books its last bytes, counts as one flow and drops its baseline; a failed commit is retried', async () => {
  const sink = new MemorySink();
  const { tracker, ledger: l } = ledger(sink);
  await l.start();
  const f = flow('192.168.77.11', '198.18.0.1', 40000, 1000, 5000);
  l.push(tracker.ingestDump([f], Date.now()));
  await l.flush();
  assert.equal(sink.baselines.size, 1);
  l.push(
    tracker.ingestEvent({
      type: 'DESTROY',
      flow: { ...f, orig: { ...f.orig, bytes: 1500 }, reply: { ...f.reply, bytes: 9000 } },
    }),
  );
  sink.failNext = true;
  await assert.rejects(l.flush(), /commit 1 flow usage rows: disk full/);
  await l.flush();
  assert.deepEqual(sink.bytes('198.18.0.1'), { rx: 9000, tx: 1500 });
  assert.equal(sink.baselines.size, 0);
  assert.equal(
    sink.batches.flatMap((b) => b.rows).reduce((a, r) => a + r.flows, 0),
    1,
  );
});

test('a flow keeps the name it had when first seen, across later answers and a restart', async () => {
  const sink = new MemorySink();
  let answer = 'www.youtube.com';
  const labeler: FlowLabeler = { labelFor: (d) => (d.origDst === '198.18.0.10' ? answer : '') };
  const first = ledger(sink, new FlowTracker({}), labeler);
  await first.ledger.start();
  const yt = flow('192.168.77.11', '198.18.0.10', 40000, 100, 1000);
  const other = flow('192.168.77.11', '198.18.0.99', 40001, 10, 10, 8);
  first.ledger.push(first.tracker.ingestDump([yt, other], Date.now()));
  answer = 'shop.example'; // the address is reused for another name later
  first.ledger.push(
    first.tracker.ingestDump(
      [{ ...yt, orig: { ...yt.orig, bytes: 200 }, reply: { ...yt.reply, bytes: 3000 } }, other],
      Date.now(),
    ),
  );
  await first.ledger.flush();
  const second = ledger(sink, new FlowTracker({}), labeler);
  await second.ledger.start();
  second.ledger.push(
    second.tracker.ingestDump(
      [{ ...yt, orig: { ...yt.orig, bytes: 300 }, reply: { ...yt.reply, bytes: 5000 } }],
      Date.now(),
    ),
  );
  await second.ledger.flush();
  const byDomain = new Map<string, number>();
  for (const r of sink.batches.flatMap((b) => b.rows))
    byDomain.set(r.domain, (byDomain.get(r.domain) ?? 0) + r.rxBytes);
  assert.deepEqual([...byDomain].sort(), [
    ['', 10],
    ['www.youtube.com', 5000],
  ]);
});

test("a new flow of a device with an agent waits for the agent's report, then books all its bytes to the app", async () => {
  const sink = new MemorySink();
  let t = Date.parse('2026-11-25T10:30:00Z');
  const reported = new Map<number, string>();
  const apps: FlowAppLabeler = {
    appFor: (d) => reported.get(d.origSport ?? 0) ?? null,
    expectsReport: (d) => d.origSrc === '192.168.77.11',
  };
  const { tracker, ledger: l } = ledger(sink, new FlowTracker({}), null, apps, () => new Date(t));
  await l.start();
  l.push(tracker.ingestDump([flow('192.168.77.11', '198.18.0.1', 40000, 1000, 50_000)], Date.now()));
  await l.flush();
  assert.equal(sink.batches.flatMap((b) => b.rows).length, 0, 'held back: no report yet');
  reported.set(40000, 'curl');
  await l.flush();
  const rows = sink.batches.flatMap((b) => b.rows);
  assert.deepEqual(
    rows.map((r) => [r.app, r.rxBytes]),
    [['curl', 50_000]],
  );
  // a flow whose report never comes is booked without an app once the wait is over
  l.push(tracker.ingestDump([flow('192.168.77.11', '198.18.0.1', 40001, 10, 700, 9)], Date.now()));
  await l.flush();
  t += APP_WAIT_MS;
  await l.flush();
  const byApp = new Map<string, number>();
  for (const r of sink.batches.flatMap((b) => b.rows)) byApp.set(r.app, (byApp.get(r.app) ?? 0) + r.rxBytes);
  assert.deepEqual(
    [...byApp],
    [
      ['curl', 50_000],
      ['', 700],
    ],
  );
});
