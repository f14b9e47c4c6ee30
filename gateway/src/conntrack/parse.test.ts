import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/fixtures.js';
import { parseDump, parseEventLine } from './parse.js';

test('dump: tcp/udp, ipv4/ipv6, icmp echo id vs entry id, counters both ways', () => {
  const { flows, errors } = parseDump(readTestdata(import.meta.url, 'dump-extended-id.txt'));
  assert.deepEqual(errors, []);
  assert.equal(flows.length, 4);
  const [tcp, tcp6, udp6, icmp] = flows;
  assert.deepEqual(tcp, {
    family: 'ipv4',
    proto: 'tcp',
    protoNum: 6,
    timeout: 119,
    state: 'TIME_WAIT',
    orig: { src: '198.18.1.2', dst: '198.19.0.2', sport: 48932, dport: 9002, packets: 5, bytes: 2268 },
    reply: { src: '198.19.0.2', dst: '198.19.0.1', sport: 9002, dport: 48932, packets: 3, bytes: 164 },
    unreplied: false,
    assured: true,
    mark: 0,
    id: 2308905253,
  });
  assert.equal(tcp6!.family, 'ipv6');
  assert.equal(udp6!.orig.bytes, 1048);
  assert.equal(udp6!.state, undefined);
  assert.equal(icmp!.orig.icmpId, 4660);
  assert.equal(icmp!.id, 553169355);
  assert.equal(icmp!.reply.type, 0);
});

test('events: NEW/UPDATE without counters, DESTROY with final counters and [USERSPACE]', () => {
  const lines = readTestdata(import.meta.url, 'events-timestamp-extended-id.txt')
    .split('\n')
    .filter(Boolean);
  const parsed = lines.map(parseEventLine);
  assert.ok(
    parsed.every((p) => p.ok),
    JSON.stringify(parsed.filter((p) => !p.ok)),
  );
  const evs = parsed.map((p) => (p.ok ? p.value : undefined)!);
  const newIcmp = evs.find((e) => e.type === 'NEW' && e.flow.proto === 'icmp')!;
  assert.equal(newIcmp.flow.unreplied, true);
  assert.equal(newIcmp.flow.orig.bytes, undefined);
  assert.equal(newIcmp.flow.id, 553169355, 'icmp: entry id follows the echo id');
  assert.equal(newIcmp.timestamp, 1795616538.415828);
  const destroyTcp = evs.find(
    (e) => e.type === 'DESTROY' && e.flow.proto === 'tcp' && e.flow.family === 'ipv4',
  )!;
  assert.deepEqual([destroyTcp.flow.orig.bytes, destroyTcp.flow.reply.bytes], [2268, 164]);
  assert.equal(destroyTcp.flow.id, 2308905253);
  assert.equal(evs.filter((e) => e.type === 'UPDATE').length, 12);
});

test('malformed dump lines are returned as errors, good lines still parse', () => {
  const { flows, errors } = parseDump(readTestdata(import.meta.url, 'malformed.txt'));
  assert.equal(errors.length, 5);
  assert.match(errors[0]!.error, /expected 2 tuples, found 1/);
  assert.match(errors[1]!.error, /unknown family ipv5/);
  assert.match(errors[2]!.error, /packets=x is not a number/);
  assert.match(errors[3]!.error, /truncated header/);
  assert.equal(flows.length, 1);
  assert.deepEqual([flows[0]!.mark, flows[0]!.zone, flows[0]!.id], [7, 3, 42]);
});

test('malformed events are returned as errors', () => {
  const [a, b] = readTestdata(import.meta.url, 'malformed-events.txt')
    .split('\n')
    .map(parseEventLine);
  assert.ok(a && !a.ok && /truncated header/.test(a.error));
  assert.ok(b && !b.ok && /no \[NEW\]/.test(b.error));
});

test('events: DESTROY of an expired entry has no timeout left, with or without a state', () => {
  const parsed = readTestdata(import.meta.url, 'events-expired.txt')
    .split('\n')
    .filter(Boolean)
    .map(parseEventLine);
  assert.deepEqual(
    parsed.map((p) => (p.ok ? '' : p.error)),
    ['', '', '', ''],
  );
  const evs = parsed.map((p) => (p.ok ? p.value : undefined)!);
  assert.deepEqual(
    evs.map((e) => [e.type, e.flow.proto, e.flow.timeout, e.flow.state ?? null, e.flow.reply.bytes]),
    [
      ['DESTROY', 'tcp', 0, 'TIME_WAIT', 124599],
      ['DESTROY', 'tcp', 0, 'TIME_WAIT', 62190],
      ['DESTROY', 'udp', 0, null, 88],
      ['DESTROY', 'udp', 0, null, 0],
    ],
  );
  assert.equal(evs[0]!.flow.orig.src, '192.168.77.13');
  assert.equal(evs[1]!.flow.family, 'ipv6');
  assert.equal(evs[3]!.flow.unreplied, true);
  assert.ok(evs.every((e) => typeof e.flow.id === 'number'));
});
