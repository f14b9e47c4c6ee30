import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { blockAnswer, errorAnswer, fromAnswer, headerOnlyAnswer, maxUdpSize, truncated } from './answers.js';
import { analyzeResponse, type Answer } from './response.js';
import { HTTPS, decode, queryPacket, type QueryOptions, type QueryType } from './testing.js';
import { parseQuery, type Query } from './wire.js';

const q = (name: string, type: QueryType, o: QueryOptions = {}): Query =>
  parseQuery(queryPacket(name, type, { id: 0x4d2, ...o })) as Query;

test('null mode: A gets 0.0.0.0, AAAA gets ::, with the block TTL and the question as asked', () => {
  const a = decode(blockAnswer(q('Ads.Example.com', 'A'), 'null', 10));
  assert.equal(a.id, 0x4d2);
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(a.questions, [{ name: 'Ads.Example.com', type: 'A', class: 'IN' }]);
  assert.equal(a.answers.length, 1);
  assert.deepEqual(
    [a.answers[0]!.name, a.answers[0]!.data, a.answers[0]!.ttl],
    ['Ads.Example.com', '0.0.0.0', 10],
  );
  assert.equal(a.additionals.length, 0, 'no OPT for a client without EDNS');

  const aaaa = decode(blockAnswer(q('ads.example.com', 'AAAA'), 'null', 10));
  assert.deepEqual([aaaa.answers[0]!.type, aaaa.answers[0]!.data], ['AAAA', '::']);
});

test('null mode, other types (HTTPS, MX…): NODATA with a synthetic SOA carrying the block TTL', () => {
  for (const type of [HTTPS, 'MX', 'TXT'] as const) {
    const r = decode(blockAnswer(q('ads.example.com', type), 'null', 42));
    assert.equal(r.rcode, 'NOERROR', type);
    assert.equal(r.answers.length, 0, type);
    assert.equal(r.authorities.length, 1, type);
    const soa = r.authorities[0]!;
    assert.equal(soa.type, 'SOA');
    assert.equal(soa.ttl, 42);
    assert.equal((soa.data as { minimum: number }).minimum, 42);
  }
});

test('nxdomain mode: NXDOMAIN with an SOA for every type', () => {
  for (const type of ['A', 'AAAA', HTTPS] as const) {
    const r = decode(blockAnswer(q('ads.example.com', type), 'nxdomain', 10));
    assert.equal(r.rcode, 'NXDOMAIN', type);
    assert.equal(r.answers.length, 0);
    assert.equal(r.authorities[0]!.type, 'SOA');
  }
});

test('EDNS clients get an OPT back with their DO bit; RD and CD are echoed', () => {
  const msg = queryPacket('ads.example.com', 'A', { dnssecOk: true });
  msg[3] = msg[3]! | 0x10; // CD
  const r = decode(blockAnswer(parseQuery(msg) as Query, 'null', 10));
  const opt = r.additionals.find((x) => x.type === 'OPT');
  assert.ok(opt);
  assert.equal(opt.udpPayloadSize, 1232);
  assert.equal((opt.flags ?? 0) & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK);
  assert.equal(r.flags & dnsPacket.RECURSION_DESIRED, dnsPacket.RECURSION_DESIRED);
  assert.equal(r.flags & dnsPacket.CHECKING_DISABLED, dnsPacket.CHECKING_DISABLED);
});

function bigAnswer(n: number): Answer {
  const buf = dnsPacket.encode({
    type: 'response',
    id: 9,
    flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHENTIC_DATA,
    questions: [{ name: 'many.test', type: 'A', class: 'IN' }],
    answers: Array.from({ length: n }, (_, i) => ({
      name: 'many.test',
      type: 'A' as const,
      ttl: 60,
      data: `10.0.${i >> 8}.${i & 255}`,
    })),
  });
  return analyzeResponse(buf, { negativeTtlNoSoa: 30, maxTtl: 86400 }) as Answer;
}

test('answers larger than the client can take over UDP are truncated to header + question, TC=1', () => {
  const a = bigAnswer(40); // 40 uncompressed records, about 1 KB: fits 1232, not 512
  const plain = q('MANY.test', 'A');
  assert.equal(maxUdpSize(plain), 512);
  const t = decode(fromAnswer(a, plain, 0, maxUdpSize(plain)));
  assert.equal(t.tc, true);
  assert.equal(t.answers.length, 0);
  assert.deepEqual(t.questions, [{ name: 'MANY.test', type: 'A', class: 'IN' }]);
  assert.equal(t.id, 0x4d2);

  const edns = q('many.test', 'A', { edns: true, udpSize: 1232 });
  const full = decode(fromAnswer(a, edns, 0, maxUdpSize(edns)));
  assert.equal(full.tc, false);
  assert.equal(full.answers.length, 40);
  assert.equal(full.additionals.at(-1)!.type, 'OPT');
  // Over TCP (no UDP limit) the whole answer goes out even without EDNS.
  assert.equal(decode(fromAnswer(a, plain, 0, 65535)).answers.length, 40);
  assert.equal(decode(truncated(a, edns)).additionals.length, 1, 'truncated EDNS answers keep the OPT');
});

test('AD is only passed to clients that asked for it (AD or DO set)', () => {
  const a = bigAnswer(1);
  assert.equal(decode(fromAnswer(a, q('many.test', 'A'), 0, 512)).flags & dnsPacket.AUTHENTIC_DATA, 0);
  const withDo = q('many.test', 'A', { dnssecOk: true });
  assert.equal(
    decode(fromAnswer(a, withDo, 0, 1232)).flags & dnsPacket.AUTHENTIC_DATA,
    dnsPacket.AUTHENTIC_DATA,
  );
});

test('error answers: SERVFAIL/NOTIMP keep the question; header-only FORMERR echoes the id', () => {
  const sf = decode(errorAnswer(q('x.test', 'A', { edns: true }), 2));
  assert.equal(sf.rcode, 'SERVFAIL');
  assert.equal(sf.questions[0]!.name, 'x.test');
  assert.equal(sf.additionals[0]!.type, 'OPT');
  const garbage = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c]);
  const fe = headerOnlyAnswer(garbage, 1);
  assert.equal(fe.length, 12);
  const d = decode(fe);
  assert.equal(d.id, 0xabcd);
  assert.equal(d.rcode, 'FORMERR');
  assert.equal(d.questions.length, 0);
});
