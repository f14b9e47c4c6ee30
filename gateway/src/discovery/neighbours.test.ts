import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/fixtures.js';
import { parseNeighbours } from './neighbours.js';
import { parseDnsmasqLeases } from './leases.js';
import { createVendorLookup, findVendor, isLocallyAdministered } from './oui.js';

test('neighbour table: devices with a link-layer address, bad rows reported, not thrown', () => {
  const { rows, errors } = parseNeighbours(readTestdata(import.meta.url, 'ip-neigh-lab.json'));
  assert.deepEqual(
    rows.map((r) => [r.address, r.mac]),
    [
      ['192.168.77.11', '02:50:50:00:00:01'],
      ['192.168.77.12', '02:50:50:00:00:02'],
      ['fd77:77::11', '02:50:50:00:00:01'],
      ['192.168.77.20', '00:1a:2b:3c:4d:5e'],
    ],
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /not-a-mac/);
});

test('neighbour table: malformed JSON is an error with context; empty output is no devices', () => {
  assert.throws(() => parseNeighbours('[{"dst":'), /parse ip -j neigh/);
  assert.deepEqual(parseNeighbours('').rows, []);
});

test('dnsmasq leases: hostname, infinite lease, garbage line reported', () => {
  const { rows, errors } = parseDnsmasqLeases(readTestdata(import.meta.url, 'dnsmasq.leases'));
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.hostname, 'laptop');
  assert.equal(rows[1]!.expiresAt, null);
  assert.equal(rows[1]!.hostname, null);
  assert.equal(errors.length, 1);
});

test('vendor from OUI; randomised MACs have none', () => {
  const vendors = createVendorLookup();
  assert.equal(vendors.vendorOf('00:00:0c:12:34:56'), 'Cisco Systems, Inc');
  assert.equal(isLocallyAdministered('02:50:50:00:00:01'), true);
  assert.equal(vendors.vendorOf('02:50:50:00:00:01'), null);
  assert.equal(vendors.vendorOf('ff:ff:fe:00:00:00'), null);
});

test('OUI search: the organisation line of a prefix, escapes decoded, unknown prefixes null', () => {
  const json = Buffer.from(
    '{\n "000000": "XEROX CORPORATION\\nM/S 105-50C\\nUnited States",\n "ABCDEF": "Say \\"Hi\\" Ltd",\n "00000C": "Cisco Systems, Inc\\n170 WEST TASMAN DRIVE"\n}',
  );
  assert.equal(findVendor(json, '000000'), 'XEROX CORPORATION');
  assert.equal(findVendor(json, 'ABCDEF'), 'Say "Hi" Ltd');
  assert.equal(findVendor(json, '00000C'), 'Cisco Systems, Inc');
  assert.equal(findVendor(json, '123456'), null);
  // the real file: a 28-bit MA-M block inside another organisation's 24-bit prefix wins
  const vendors = createVendorLookup();
  assert.equal(vendors.vendorOf('3c:22:fb:00:00:01'), 'Apple, Inc.');
  assert.match(vendors.vendorOf('10:06:48:00:00:01') ?? '', /FLEXTRONICS TECHNOLOGIES \(INDIA\)/);
});
