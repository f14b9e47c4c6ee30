import { test } from 'node:test';
import assert from 'node:assert/strict';
import { owner } from '../testing/builders.js';
import { clipApp, FlowTracker, isFlow } from './tracker.js';

test('first snapshot opens every flow; the next reports only what changed', () => {
  const t = new FlowTracker();
  const a = owner({ sport: 50001 });
  const b = owner({ sport: 50002, pid: 3000, app: { name: 'node' } });
  const first = t.update([a, b]);
  assert.deepEqual(first.closed, []);
  assert.deepEqual(first.opened[0], {
    proto: 'tcp',
    src: '192.168.1.20',
    sport: 50001,
    dst: '93.184.216.34',
    dport: 443,
    pid: 2201,
    app: { name: 'curl', path: '/usr/bin/curl', user: 'alice' },
  });
  assert.deepEqual(t.update([a, b]), { opened: [], closed: [] });
  const c = owner({ sport: 50003, proto: 'udp' });
  const next = t.update([b, c]);
  assert.deepEqual(
    next.opened.map((o) => [o.proto, o.sport]),
    [['udp', 50003]],
  );
  assert.deepEqual(next.closed, [
    { proto: 'tcp', src: '192.168.1.20', sport: 50001, dst: '93.184.216.34', dport: 443 },
  ]);
  assert.equal(t.size, 2);
});

test('listeners, unconnected UDP, loopback, link-local and multicast remotes are not flows', () => {
  const t = new FlowTracker();
  const changes = t.update([
    owner({ listening: true, dport: 0, dst: '0.0.0.0' }),
    owner({ proto: 'udp', dst: '0.0.0.0', dport: 0 }),
    owner({ dst: '127.0.0.1' }),
    owner({ dst: '::1' }),
    owner({ dst: '169.254.10.1' }),
    owner({ dst: 'fe80::1' }),
    owner({ proto: 'udp', dst: '224.0.0.251', dport: 5353 }),
    owner({ dst: '2001:db8::1', local: { address: '2001:db8::20', port: 40000 } }),
  ]);
  assert.deepEqual(
    changes.opened.map((o) => o.dst),
    ['2001:db8::1'],
  );
  assert.equal(isFlow(owner({ sport: 0 })), false);
});

test('the first owner of a tuple names it (a socket shared after fork)', () => {
  const t = new FlowTracker();
  const { opened } = t.update([owner(), owner({ pid: 9, app: { name: 'child' } })]);
  assert.equal(opened.length, 1);
  assert.equal(opened[0]?.pid, 2201);
});

test('app fields are cut to the protocol limits', () => {
  const app = clipApp({ name: 'x'.repeat(300), path: `/${'p'.repeat(5000)}`, user: 'u'.repeat(300) });
  assert.deepEqual([app.name.length, app.path?.length, app.user?.length], [256, 4096, 256]);
  assert.deepEqual(clipApp({ name: '' }), { name: '?' });
});
