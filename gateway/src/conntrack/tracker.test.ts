import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthRegistry } from '../health/registry.js';
import type { Flow, FlowDelta, FlowEvent } from './flow.js';
import { FlowTracker, HEALTH_EVENTS_LOST, HEALTH_EVENTS_SILENT } from './tracker.js';

function flow(id: number, ob?: number, rb?: number, sport = 40000 + id): Flow {
  const acct = ob === undefined ? {} : { packets: Math.ceil(ob / 100), bytes: ob };
  const racct = rb === undefined ? {} : { packets: Math.ceil(rb / 100), bytes: rb };
  return {
    family: 'ipv4',
    proto: 'tcp',
    protoNum: 6,
    timeout: 100,
    orig: { src: '198.18.1.2', dst: '198.19.0.2', sport, dport: 443, ...acct },
    reply: { src: '198.19.0.2', dst: '198.19.0.1', sport: 443, dport: sport, ...racct },
    id,
    unreplied: false,
    assured: true,
  };
}
const ev = (type: FlowEvent['type'], f: Flow): FlowEvent => ({ type, flow: f });
const total = (ds: FlowDelta[]): [number, number] => [
  ds.reduce((a, d) => a + d.origBytes, 0),
  ds.reduce((a, d) => a + d.replyBytes, 0),
];

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('NEW, dumps and DESTROY add up to the final counters exactly once', () => {
  const c = clock();
  const tr = new FlowTracker({ now: c.now });
  const all: FlowDelta[] = [];
  all.push(...tr.ingestEvent(ev('NEW', flow(1))));
  c.advance(10);
  all.push(...tr.ingestDump([flow(1, 1000, 5000)]));
  c.advance(10);
  all.push(...tr.ingestDump([flow(1, 1500, 9000)]));
  all.push(...tr.ingestEvent(ev('DESTROY', flow(1, 1600, 9100))));
  assert.deepEqual(total(all), [1600, 9100]);
  assert.equal(all.at(-1)!.closed, true);
  assert.equal(tr.size, 0);
  assert.deepEqual(
    tr.ingestEvent(ev('DESTROY', flow(1, 1600, 9100))),
    [{ ...all.at(-1)!, origBytes: 1600, replyBytes: 9100, origPackets: 16, replyPackets: 91 }],
    'an unknown DESTROY counts in full (its NEW and dumps were missed)',
  );
});

test('a flow first seen in a dump is adopted (never only on NEW)', () => {
  const tr = new FlowTracker();
  assert.deepEqual(total(tr.ingestDump([flow(7, 300, 700)])), [300, 700]);
  assert.equal(tr.size, 1);
});

test('lost DESTROY: a flow missing from the next dump is closed with its last counters', () => {
  const c = clock();
  const tr = new FlowTracker({ now: c.now });
  tr.ingestDump([flow(1, 100, 100), flow(2, 50, 50)], c.now());
  c.advance(1000);
  const ds = tr.ingestDump([flow(2, 60, 60)], c.now());
  const closed = ds.find((d) => d.closed)!;
  assert.equal(closed.key.startsWith('1|'), true);
  assert.deepEqual([closed.origBytes, closed.replyBytes], [0, 0]);
  assert.equal(tr.size, 1);
});

test('a DESTROY that comes after the dump closed its flow adds only the rest, once', () => {
  const c = clock();
  const tr = new FlowTracker({ now: c.now });
  const all: FlowDelta[] = [];
  all.push(...tr.ingestDump([flow(1, 100, 1000)], c.now()));
  c.advance(1000);
  all.push(...tr.ingestDump([], c.now())); // expired just before this dump; its event is late
  all.push(...tr.ingestEvent(ev('DESTROY', flow(1, 120, 1300))));
  assert.deepEqual(total(all), [120, 1300], 'the whole flow exactly once');
  assert.deepEqual(
    all.filter((d) => d.closed).map((d) => d.late ?? false),
    [false, true],
  );
});

test('a NEW that raced the dump is not closed by it', () => {
  const c = clock();
  const tr = new FlowTracker({ now: c.now });
  const startedAt = c.now();
  c.advance(5);
  tr.ingestEvent(ev('NEW', flow(3)));
  assert.deepEqual(tr.ingestDump([], startedAt), []);
  assert.equal(tr.size, 1);
});

test('restart with restored baselines: exact totals, no double count, no loss', () => {
  const before = new FlowTracker();
  const stored: FlowDelta[] = [];
  stored.push(...before.ingestDump([flow(1, 1000, 2000), flow(2, 10, 20)]));
  const persisted = before.baselines();
  // Daemon down: flow 1 grows, flow 2 ends, flow 3 starts.
  const after = new FlowTracker();
  after.restore(persisted);
  stored.push(...after.ingestDump([flow(1, 1800, 2500), flow(3, 400, 40)]));
  stored.push(...after.ingestEvent(ev('DESTROY', flow(1, 1900, 2600))));
  assert.deepEqual(total(stored), [1900 + 10 + 400, 2600 + 20 + 40]);
  assert.deepEqual(
    after.baselines().map((b) => b.key.split('|')[0]),
    ['3'],
  );
});

test('a counter that goes down is a reset: the delta is the new value', () => {
  const tr = new FlowTracker();
  tr.ingestDump([flow(1, 1000, 1000)]);
  const [d] = tr.ingestDump([flow(1, 200, 1500)]);
  assert.deepEqual([d!.origBytes, d!.replyBytes], [200, 500]);
});

test('ids are reused: same id with another tuple is another flow', () => {
  const tr = new FlowTracker();
  tr.ingestDump([flow(1, 100, 100, 1111)]);
  const ds = tr.ingestDump([flow(1, 30, 30, 2222)]);
  assert.deepEqual(total(ds.filter((d) => !d.closed)), [30, 30]);
});

test('memory is capped: extra flows are counted in overflow, not tracked', () => {
  const tr = new FlowTracker({ maxFlows: 2 });
  tr.ingestDump([flow(1, 1, 1), flow(2, 1, 1), flow(3, 1, 1), flow(4, 1, 1)]);
  assert.equal(tr.size, 2);
  assert.equal(tr.overflow, 2);
});

test('overrun raises events_lost until the next dump; silence is detected from dumps', () => {
  const c = clock();
  const health = new HealthRegistry();
  const tr = new FlowTracker({ health, now: c.now, silentAfterMs: 60_000 });
  tr.noteOverrun();
  assert.equal(tr.needsDump, true);
  assert.deepEqual(
    health.list().map((w) => w.code),
    [HEALTH_EVENTS_LOST],
  );
  tr.ingestDump([flow(1, 10, 10)], c.now());
  assert.equal(tr.needsDump, false);
  assert.deepEqual(health.list(), [], 'recent start: not silent yet');
  c.advance(61_000);
  tr.ingestDump([flow(1, 20, 20), flow(2, 10, 10)], c.now());
  assert.deepEqual(
    health.list().map((w) => w.code),
    [HEALTH_EVENTS_SILENT],
  );
  assert.equal(tr.eventsSilent, true);
  tr.ingestEvent(ev('NEW', flow(5)));
  assert.deepEqual(health.list(), []);
});
