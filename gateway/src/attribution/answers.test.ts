import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerMemory, deviceKey } from './answers.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

test('a flow to an answered address gets the name this device asked for, newest first', () => {
  const c = clock();
  const m = new AnswerMemory({ now: c.now });
  const kid = deviceKey(1, '192.168.77.11');
  m.remember(kid, ['198.18.0.10'], 'www.youtube.com', 300);
  assert.equal(m.nameFor(kid, '198.18.0.10'), 'www.youtube.com');
  // the same CDN address for another name: the device's latest question wins
  m.remember(kid, ['198.18.0.10'], 'shop.example', 300);
  assert.equal(m.nameFor(kid, '198.18.0.10'), 'shop.example');
  // another device's answers are not this device's evidence
  assert.equal(m.nameFor(deviceKey(2, '192.168.77.12'), '198.18.0.10'), null);
  assert.deepEqual([...m.namesForAddress('198.18.0.10')], ['www.youtube.com', 'shop.example']);
});

test('answers expire after their TTL plus grace; short TTLs get a floor', () => {
  const c = clock();
  const m = new AnswerMemory({ now: c.now, graceSeconds: 60, minTtlSeconds: 30 });
  const d = deviceKey(1, 'x');
  m.remember(d, ['10.0.0.1'], 'a.test', 1); // floor: 30 s + 60 s grace
  c.t += 89_000;
  assert.equal(m.nameFor(d, '10.0.0.1'), 'a.test');
  c.t += 2_000;
  assert.equal(m.nameFor(d, '10.0.0.1'), null);
});

test('memory is bounded: the pairs nobody asked about lately go first', () => {
  const m = new AnswerMemory({ maxPairs: 3, maxAddresses: 3 });
  const d = deviceKey(1, 'x');
  m.remember(d, ['10.0.0.1'], 'one.test', 300);
  m.remember(d, ['10.0.0.2'], 'two.test', 300);
  m.remember(d, ['10.0.0.3'], 'three.test', 300);
  m.remember(d, ['10.0.0.1'], 'one.test', 300); // refreshed: now the newest
  m.remember(d, ['10.0.0.4'], 'four.test', 300);
  assert.equal(m.size, 3);
  assert.equal(m.nameFor(d, '10.0.0.2'), null);
  assert.equal(m.nameFor(d, '10.0.0.1'), 'one.test');
  assert.equal(m.nameFor(d, '10.0.0.4'), 'four.test');
});

test('devices are keyed by id so IPv4 questions label IPv6 flows; unknown clients by address', () => {
  assert.equal(deviceKey(5, '192.168.77.11'), deviceKey(5, 'fd77:77::11'));
  assert.notEqual(deviceKey(0, '192.168.77.11'), deviceKey(0, '192.168.77.12'));
});

test('addresses of a device whose names match, with the seconds they have left', () => {
  const c = clock();
  const m = new AnswerMemory({ now: c.now, graceSeconds: 0 });
  const d = deviceKey(1, 'x');
  m.remember(d, ['198.18.0.10', '198.18.0.20'], 'www.youtube.com', 120);
  m.remember(d, ['198.18.0.11'], 'www.tiktok.com', 120);
  m.remember(deviceKey(2, 'y'), ['198.18.0.12'], 'm.youtube.com', 120);
  c.t += 20_000;
  const yt = (n: string) => n.endsWith('youtube.com');
  assert.deepEqual(m.addressesOf(d, yt), [
    { address: '198.18.0.10', ttl: 100 },
    { address: '198.18.0.20', ttl: 100 },
  ]);
  assert.deepEqual(
    m.addressesForNames(yt).map((a) => a.address),
    ['198.18.0.10', '198.18.0.20', '198.18.0.12'],
  );
});
