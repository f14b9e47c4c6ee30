import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentFlows, FlowOpened } from '@packetpilot/protocol';
import { FakeClock } from '../testing/fake-clock.js';
import { FlowBatcher } from './batcher.js';

function opened(i: number, path = '/usr/bin/curl'): FlowOpened {
  return {
    proto: 'tcp',
    src: '10.0.0.2',
    sport: 40000 + i,
    dst: '1.2.3.4',
    dport: 443,
    pid: 7,
    app: { name: 'curl', path },
  };
}

function setup(options: Partial<ConstructorParameters<typeof FlowBatcher>[0]> = {}) {
  const clock = new FakeClock();
  const out: AgentFlows[] = [];
  let seq = 41;
  const b = new FlowBatcher({ clock, nextSeq: () => seq++, emit: (r) => out.push(r), ...options });
  return { clock, out, b };
}

test('a report goes out 250 ms after its first entry, with the next seq and the time', async () => {
  const { clock, out, b } = setup();
  b.add({ opened: [opened(1)], closed: [] });
  await clock.advance(100);
  b.add({
    opened: [opened(2)],
    closed: [{ proto: 'udp', src: '10.0.0.2', sport: 5, dst: '1.1.1.1', dport: 53 }],
  });
  await clock.advance(149);
  assert.equal(out.length, 0);
  await clock.advance(1);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.seq, 41);
  assert.equal(out[0]?.at, new Date(clock.now()).toISOString());
  assert.deepEqual([out[0]?.opened.length, out[0]?.closed.length], [2, 1]);
  await clock.advance(1000);
  assert.equal(out.length, 1, 'no empty reports');
});

test('200 entries go out at once', async () => {
  const { out, b } = setup();
  b.add({ opened: Array.from({ length: 450 }, (_, i) => opened(i)), closed: [] });
  assert.deepEqual(
    out.map((r) => [r.seq, r.opened.length]),
    [
      [41, 200],
      [42, 200],
    ],
  );
  assert.equal(b.pending, 50);
  b.flush();
  assert.equal(out[2]?.opened.length, 50);
});

test('a report never outgrows a gateway frame (64 KiB)', () => {
  const { out, b } = setup();
  const longPath = `/opt/${'x'.repeat(3000)}/app`;
  b.add({ opened: Array.from({ length: 100 }, (_, i) => opened(i, longPath)), closed: [] });
  b.flush();
  assert.ok(out.length >= 5);
  for (const r of out)
    assert.ok(Buffer.byteLength(JSON.stringify(r)) <= 60_000, `${Buffer.byteLength(JSON.stringify(r))}`);
  assert.equal(
    out.reduce((n, r) => n + r.opened.length, 0),
    100,
  );
});
