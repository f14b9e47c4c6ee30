import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLocalOnly, normalizeAddress, parseHost, parsePort, splitHostPort } from './address.js';

test('normalizeAddress: brackets, zones, case and IPv4-mapped IPv6', () => {
  assert.equal(normalizeAddress('10.0.0.5'), '10.0.0.5');
  assert.equal(normalizeAddress('[::ffff:10.0.0.5]'), '10.0.0.5');
  assert.equal(normalizeAddress('::FFFF:10.0.0.5'), '10.0.0.5');
  assert.equal(normalizeAddress('0:0:0:0:0:ffff:10.0.0.5'), '10.0.0.5');
  assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeAddress('[2001:DB8::1]'), '2001:db8::1');
  assert.equal(normalizeAddress('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(normalizeAddress('2001:0db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(normalizeAddress('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(normalizeAddress('0:0:0:0:0:0:0:0'), '::');
  assert.equal(normalizeAddress('fe80:0:0:0:0:0:0:0'), 'fe80::');
  assert.equal(normalizeAddress('127.0.0.53%lo'), '127.0.0.53');
  assert.equal(normalizeAddress('not-an-ip'), null);
  assert.equal(normalizeAddress('999.1.1.1'), null);
});

test('splitHostPort: the forms ss, netstat and lsof print', () => {
  assert.deepEqual(splitHostPort('10.0.0.1:443'), { host: '10.0.0.1', port: '443' });
  assert.deepEqual(splitHostPort('[::1]:8080'), { host: '[::1]', port: '8080' });
  assert.deepEqual(splitHostPort('[fe80::1]%eth0:22'), { host: '[fe80::1]', port: '22' });
  assert.deepEqual(splitHostPort('127.0.0.53%lo:53'), { host: '127.0.0.53%lo', port: '53' });
  assert.deepEqual(splitHostPort('*:*'), { host: '*', port: '*' });
  assert.equal(splitHostPort('nocolon'), null);
});

test('parseHost and parsePort', () => {
  assert.equal(parseHost('*'), '0.0.0.0');
  assert.equal(parseHost('*', true), '::');
  assert.equal(parsePort('*'), 0);
  assert.equal(parsePort('65535'), 65535);
  assert.equal(parsePort('65536'), null);
  assert.equal(parsePort('8o'), null);
});

test('isLocalOnly: loopback, link-local, multicast and unspecified never leave through the gateway', () => {
  for (const a of ['127.0.0.1', '127.8.9.1', '169.254.1.1', '224.0.0.251', '255.255.255.255', '0.0.0.0']) {
    assert.equal(isLocalOnly(a), true, a);
  }
  for (const a of ['::1', '::', 'fe80::1', 'febf::1', 'ff02::fb']) assert.equal(isLocalOnly(a), true, a);
  for (const a of ['10.0.0.1', '192.168.1.1', '8.8.8.8', '2001:db8::1', 'fd00::1', 'fec0::1']) {
    assert.equal(isLocalOnly(a), false, a);
  }
});
