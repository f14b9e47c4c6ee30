import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/testdata.js';
import { parseProcNet, socketInode, TCP_LISTEN } from './linux-procnet.js';

test('/proc/net/tcp: little-endian hex addresses, states and inodes', () => {
  const { sockets, malformed } = parseProcNet(readTestdata('linux/proc-net-tcp.out'), 'tcp');
  assert.deepEqual(malformed, []);
  assert.equal(sockets.length, 4);
  assert.deepEqual(sockets[0], {
    proto: 'tcp',
    state: TCP_LISTEN,
    local: { address: '10.77.0.1', port: 8443 },
    remote: { address: '0.0.0.0', port: 0 },
    uid: 0,
    inode: 1180575,
  });
  assert.deepEqual(sockets[2]?.remote, { address: '10.77.0.1', port: 8080 });
});

test('/proc/net/tcp6: ::1, :: and IPv4-mapped addresses', () => {
  const { sockets } = parseProcNet(readTestdata('linux/proc-net-tcp6.out'), 'tcp');
  assert.deepEqual(
    sockets.map((s) => `${s.local.address}:${s.local.port}>${s.remote.address}:${s.remote.port}`),
    [':::8080>:::0', '10.77.0.1:8080>10.77.0.1:44286', '::1:36516>::1:8080', '::1:8080>::1:36516'],
  );
});

test('/proc/net/udp and udp6: connected (1) and unconnected (7)', () => {
  const udp = parseProcNet(readTestdata('linux/proc-net-udp.out'), 'udp').sockets;
  assert.deepEqual(
    udp.map((s) => [s.state, s.local.port, s.remote.port]),
    [
      [1, 37486, 53],
      [7, 5353, 0],
    ],
  );
  const udp6 = parseProcNet(readTestdata('linux/proc-net-udp6.out'), 'udp').sockets;
  assert.deepEqual(udp6[0]?.remote, { address: '::1', port: 443 });
});

test('big-endian words read in order', () => {
  const line = '   0: 7F000001:0050 0A000002:01BB 01 00000000:00000000 00:00000000 00000000  1000 0 77 1';
  const s = parseProcNet(line, 'tcp', false).sockets[0];
  assert.deepEqual(
    [s?.local, s?.remote, s?.uid],
    [{ address: '127.0.0.1', port: 80 }, { address: '10.0.0.2', port: 443 }, 1000],
  );
});

test('malformed rows are skipped and reported', () => {
  const { sockets, malformed } = parseProcNet(readTestdata('linux/proc-net-tcp-malformed.out'), 'tcp');
  assert.equal(sockets.length, 4);
  assert.equal(malformed.length, 4);
});

test('socketInode', () => {
  assert.equal(socketInode('socket:[12345]'), 12345);
  assert.equal(socketInode('pipe:[12345]'), null);
  assert.equal(socketInode('/dev/null'), null);
});
