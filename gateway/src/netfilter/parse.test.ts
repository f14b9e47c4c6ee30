import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/fixtures.js';
import { normaliseKey, parseNftListing, parseNftTable } from './parse.js';

test('parses a real gateway table listing with v4, v6 and MAC elements', () => {
  const snap = parseNftTable(readTestdata(import.meta.url, 'list-gateway-table.json'));
  assert.ok(snap);
  assert.deepEqual(snap.sets.dev_tx, [{ key: 'ca:c9:3f:76:35:57', packets: 24, bytes: 11996 }]);
  assert.deepEqual(snap.sets.dev_rx4, [{ key: '198.18.1.2', packets: 12, bytes: 6404 }]);
  assert.deepEqual(snap.sets.dev_rx6, [{ key: 'fd00:1::2', packets: 2, bytes: 744 }]);
  assert.equal(snap.sets.local_rx6!.length, 2);
  assert.deepEqual(snap.counters.fwd_up, { packets: 24, bytes: 11996 });
  assert.deepEqual(Object.keys(snap.counters).sort(), [
    'fwd_down',
    'fwd_up',
    'lan_lan',
    'wan_local_in',
    'wan_local_out',
  ]);
});

test('structure view: set definitions and base chains as the kernel reports them', () => {
  const l = parseNftListing(readTestdata(import.meta.url, 'list-table-handwritten.json'));
  assert.ok(l);
  assert.deepEqual(l.sets.dev_rx6, {
    name: 'dev_rx6',
    type: 'ipv6_addr',
    flags: ['timeout'], // set with `flags dynamic,timeout`: nft 1.0.6 JSON omits 'dynamic'
    counter: true,
    size: 65535,
    timeout: 3600,
  });
  assert.deepEqual(l.sets.iv, { name: 'iv', type: 'ipv4_addr', flags: ['interval'], counter: false });
  assert.deepEqual(l.chains.forward_acct, {
    name: 'forward_acct',
    type: 'filter',
    hook: 'forward',
    prio: 10,
    policy: 'accept',
  });
  assert.deepEqual(l.chains.sub, { name: 'sub' });
});

test('elements: bare values, prefixes, ranges, concatenations; MACs normalised', () => {
  const json = JSON.stringify({
    nftables: [
      { table: { family: 'inet', name: 't' } },
      {
        set: {
          name: 's',
          type: 'ipv4_addr',
          elem: ['10.0.0.1', { prefix: { addr: '10.1.0.0', len: 16 } }, { range: ['10.2.0.1', '10.2.0.9'] }],
        },
      },
      { set: { name: 'c', type: ['ipv4_addr', 'inet_service'], elem: [{ concat: ['10.0.0.1', 443] }] } },
      {
        set: {
          name: 'm',
          type: 'ether_addr',
          elem: [{ elem: { val: 'AA:B:0c:0:0:1', counter: { packets: 2, bytes: 3 } } }],
        },
      },
    ],
  });
  const snap = parseNftTable(json)!;
  assert.deepEqual(
    snap.sets.s!.map((e) => e.key),
    ['10.0.0.1', '10.1.0.0/16', '10.2.0.1-10.2.0.9'],
  );
  assert.equal(snap.sets.c![0]!.key, '10.0.0.1 . 443');
  assert.deepEqual(snap.sets.m, [{ key: 'aa:0b:0c:00:00:01', packets: 2, bytes: 3 }]);
  assert.equal(normaliseKey('fd00::1'), 'fd00::1');
});

test('no table in the listing → null', () => {
  assert.equal(parseNftTable('{"nftables":[{"metainfo":{"version":"1.0.6"}}]}'), null);
});

test('malformed listings fail with a clear error', () => {
  assert.throws(
    () => parseNftTable(readTestdata(import.meta.url, 'malformed-truncated.json')),
    /nft listing: invalid JSON/,
  );
  assert.throws(() => parseNftTable('{"foo":[]}'), /missing "nftables" array/);
  assert.throws(
    () =>
      parseNftTable(
        '{"nftables":[{"table":{"family":"inet","name":"t"}},{"counter":{"name":"c","packets":"x"}}]}',
      ),
    /counter c packets is not a number/,
  );
  assert.throws(
    () => parseNftTable('{"nftables":[{"counter":{"name":"c","packets":1,"bytes":1}}]}'),
    /before its table/,
  );
});
