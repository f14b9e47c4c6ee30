import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/testdata.js';
import { parseSs } from './linux-ss.js';

test('ss -tunOHe: sockets with inodes, IPv4-mapped and IPv6 addresses normalised', () => {
  const { sockets, malformed } = parseSs(readTestdata('linux/ss-tunOHe.out'));
  assert.deepEqual(malformed, []);
  assert.equal(sockets.length, 8);
  assert.deepEqual(sockets[0], {
    proto: 'udp',
    state: 'ESTAB',
    local: { address: '10.77.0.1', port: 37486 },
    remote: { address: '10.77.0.1', port: 53 },
    pids: [],
    inode: 1181037,
  });
  const mapped = sockets.find((s) => s.inode === 1181036);
  assert.deepEqual(mapped?.local, { address: '10.77.0.1', port: 8080 });
  assert.deepEqual(mapped?.remote, { address: '10.77.0.1', port: 44286 });
  const v6 = sockets.find((s) => s.inode === 1181033);
  assert.deepEqual(
    [v6?.local, v6?.remote],
    [
      { address: '::1', port: 36516 },
      { address: '::1', port: 8080 },
    ],
  );
});

test('ss -tunpOH: owners from users:((…))', () => {
  const { sockets, malformed } = parseSs(readTestdata('linux/ss-tunpOH.out'));
  assert.deepEqual(malformed, []);
  assert.equal(sockets.length, 8);
  assert.ok(sockets.every((s) => s.pids.length === 1 && s.pids[0] === 11273));
});

test('ss -tunapOH: listeners and unconnected UDP keep their state', () => {
  const { sockets } = parseSs(readTestdata('linux/ss-tunapOH.out'));
  assert.equal(sockets.length, 11);
  const listen = sockets.filter((s) => s.state === 'LISTEN');
  assert.deepEqual(
    listen.map((s) => [s.local.port, s.remote.port]),
    [
      [8443, 0],
      [8080, 0],
    ],
  );
  assert.equal(sockets.find((s) => s.state === 'UNCONN')?.remote.address, '0.0.0.0');
});

test('malformed rows are reported, not thrown; device-bound and uid fields are read', () => {
  const { sockets, malformed } = parseSs(readTestdata('linux/ss-malformed.out'));
  assert.equal(sockets.length, 11);
  assert.equal(malformed.length, 7);
  const bound = sockets.find((s) => s.inode === 4243);
  assert.deepEqual(bound?.local, { address: '127.0.0.53', port: 53 });
  const ll = sockets.find((s) => s.inode === 4244);
  assert.deepEqual(ll?.local, { address: 'fe80::1', port: 22 });
  assert.equal(sockets.find((s) => s.inode === 4242)?.uid, 1000);
});

test('several owners of one socket (after fork) are all kept, first first', () => {
  const line = 'tcp ESTAB 0 0 10.0.0.2:5000 10.0.0.9:443 users:(("a \\"b\\"",pid=10,fd=3),("c",pid=11,fd=3))';
  assert.deepEqual(parseSs(line).sockets[0]?.pids, [10, 11]);
});
