import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { fromAnswer } from './answers.js';
import { DnsCache } from './cache.js';
import { analyzeResponse, type Answer } from './response.js';
import { decode, queryPacket } from './testing.js';
import { parseQuery, type Query } from './wire.js';

const LIMITS = { negativeTtlNoSoa: 30, maxTtl: 86_400 };

function clock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function response(p: Partial<dnsPacket.Packet> & { name?: string; qtype?: dnsPacket.RecordType }): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (p.flags ?? 0),
    questions: [{ name: p.name ?? 'www.example.com', type: p.qtype ?? 'A', class: 'IN' }],
    answers: p.answers ?? [],
    authorities: p.authorities ?? [],
    additionals: p.additionals ?? [],
  });
}

function analyzed(buf: Buffer): Answer {
  const a = analyzeResponse(buf, LIMITS);
  assert.equal(typeof a, 'object', `analyzeResponse failed: ${String(a)}`);
  return a as Answer;
}

const soa = (ttl: number, minimum: number): dnsPacket.Answer => ({
  name: 'example.com',
  type: 'SOA',
  ttl,
  data: {
    mname: 'ns.example.com',
    rname: 'h.example.com',
    serial: 1,
    refresh: 1,
    retry: 1,
    expire: 1,
    minimum,
  },
});

const q = (name = 'www.example.com', type: dnsPacket.RecordType = 'A', edns = false): Query =>
  parseQuery(queryPacket(name, type, { id: 777, edns })) as Query;

test('positive answers: cache TTL is the minimum of the answer section; addresses collected', () => {
  const a = analyzed(
    response({
      answers: [
        { name: 'www.example.com', type: 'CNAME', ttl: 300, data: 'edge.example.net' },
        { name: 'edge.example.net', type: 'A', ttl: 60, data: '192.0.2.1' },
        { name: 'edge.example.net', type: 'A', ttl: 90, data: '192.0.2.2' },
      ],
    }),
  );
  assert.equal(a.ttl, 60);
  assert.deepEqual(a.addresses, ['192.0.2.1', '192.0.2.2']);
  assert.equal(a.addressTtl, 60);
  assert.deepEqual(a.summary, ['edge.example.net', '192.0.2.1', '192.0.2.2']);
  const v6 = analyzed(
    response({
      qtype: 'AAAA',
      answers: [{ name: 'www.example.com', type: 'AAAA', ttl: 5, data: '2001:db8::1:0:0:1' }],
    }),
  );
  assert.deepEqual(v6.addresses, ['2001:db8::1:0:0:1']);
});

test("the upstream's OPT is removed; TTL offsets still point at TTLs", () => {
  const buf = response({
    answers: [{ name: 'www.example.com', type: 'A', ttl: 100, data: '192.0.2.1' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
      { name: 'ns.example.com', type: 'A', ttl: 200, data: '192.0.2.53' },
    ],
  });
  const a = analyzed(buf);
  assert.equal(a.wire.length, buf.length - 11);
  const decoded = decode(a.wire);
  assert.deepEqual(
    decoded.additionals.map((r) => r.type),
    ['A'],
  );
  assert.deepEqual([...a.ttls], [100, 200]);
  for (let i = 0; i < a.ttls.length; i++) assert.equal(a.wire.readUInt32BE(a.ttlOffsets[i]!), a.ttls[i]);
});

test('negative answers: RFC 2308 min(SOA TTL, SOA MINIMUM); without an SOA the configured default', () => {
  const nx = analyzed(response({ flags: 3, authorities: [soa(900, 120)] }));
  assert.equal(nx.rcode, 3);
  assert.equal(nx.ttl, 120);
  const nodata = analyzed(response({ authorities: [soa(45, 3600)] }));
  assert.equal(nodata.ttl, 45);
  assert.equal(analyzed(response({ flags: 3 })).ttl, LIMITS.negativeTtlNoSoa);
  // CNAME to a name without data: bounded by the SOA as well.
  const cnameNodata = analyzed(
    response({
      answers: [{ name: 'www.example.com', type: 'CNAME', ttl: 3600, data: 'x.example.com' }],
      authorities: [soa(600, 20)],
    }),
  );
  assert.equal(cnameNodata.ttl, 20);
});

test('not cached: SERVFAIL, REFUSED, truncated, TTL 0; TTLs above maxTtl are capped', () => {
  assert.equal(analyzed(response({ flags: 2 })).ttl, 0);
  assert.equal(analyzed(response({ flags: 5 })).ttl, 0);
  const tc = analyzed(
    response({
      flags: dnsPacket.TRUNCATED_RESPONSE,
      answers: [{ name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.1' }],
    }),
  );
  assert.equal(tc.ttl, 0);
  assert.equal(
    analyzed(response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 0, data: '192.0.2.1' }] })).ttl,
    0,
  );
  const long = analyzed(
    response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 10 ** 7, data: '192.0.2.1' }] }),
  );
  assert.equal(long.ttl, LIMITS.maxTtl);
  const cache = new DnsCache({ maxEntries: 10, now: () => 0 });
  assert.equal(cache.set('www.example.com', 1, 1, false, analyzed(response({ flags: 2 }))), null);
  assert.equal(cache.size, 0);
});

test('malformed upstream answers are reported, not thrown', () => {
  const good = response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.1' }] });
  for (let cut = 0; cut < good.length; cut++) {
    assert.equal(typeof analyzeResponse(good.subarray(0, cut), LIMITS), 'string', `cut at ${cut}`);
  }
  const badRdLen = Buffer.from(good);
  badRdLen.writeUInt16BE(200, good.length - 6);
  assert.match(analyzeResponse(badRdLen, LIMITS) as string, /rdata past the end/);
});

test('hits age every TTL by the time spent in the cache, then expire', () => {
  const c = clock();
  const cache = new DnsCache({ maxEntries: 100, now: c.now });
  const a = analyzed(
    response({
      answers: [
        { name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.1' },
        { name: 'www.example.com', type: 'A', ttl: 100, data: '192.0.2.2' },
      ],
    }),
  );
  cache.set('www.example.com', 1, 1, false, a);
  c.advance(25_400);
  const e = cache.get('www.example.com', 1, 1, false, c.now());
  assert.ok(e);
  const age = Math.floor((c.now() - e.storedAt) / 1000);
  const client = q('WWW.Example.com');
  const out = decode(fromAnswer(e.answer, client, age, 512));
  assert.equal(out.id, 777);
  assert.equal(out.questions[0]!.name, 'WWW.Example.com');
  assert.deepEqual(
    out.answers.map((r) => r.ttl),
    [35, 75],
  );
  // The cached bytes themselves are untouched by the patching.
  assert.equal(e.answer.wire.readUInt32BE(e.answer.ttlOffsets[0]!), 60);
  c.advance(34_599);
  assert.ok(cache.get('www.example.com', 1, 1, false, c.now()), 'still alive at 59.999 s');
  c.advance(1);
  assert.equal(cache.get('www.example.com', 1, 1, false, c.now()), undefined);
  assert.equal(cache.size, 0);
});

test('negative entries live for the negative TTL', () => {
  const c = clock();
  const cache = new DnsCache({ maxEntries: 100, now: c.now });
  cache.set(
    'nope.example.com',
    1,
    1,
    false,
    analyzed(response({ name: 'nope.example.com', flags: 3, authorities: [soa(900, 10)] })),
  );
  c.advance(9_999);
  const e = cache.get('nope.example.com', 1, 1, false, c.now());
  assert.equal(e?.answer.rcode, 3);
  const out = decode(fromAnswer(e!.answer, q('nope.example.com'), 9, 512));
  assert.equal(out.rcode, 'NXDOMAIN');
  assert.equal(out.authorities[0]!.ttl, 891);
  c.advance(1);
  assert.equal(cache.get('nope.example.com', 1, 1, false, c.now()), undefined);
});

test('the key is (name, type, class, DO): variants of one name coexist', () => {
  const cache = new DnsCache({ maxEntries: 100, now: () => 0 });
  const a = analyzed(
    response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.1' }] }),
  );
  const b = analyzed(
    response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.9' }] }),
  );
  cache.set('www.example.com', 1, 1, false, a);
  cache.set('www.example.com', 1, 1, true, b);
  cache.set('www.example.com', 28, 1, false, a);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('www.example.com', 1, 1, true, 0)?.answer, b);
  assert.equal(cache.get('www.example.com', 1, 1, false, 0)?.answer, a);
  assert.equal(cache.get('www.example.com', 1, 3, false, 0), undefined);
  cache.set('www.example.com', 1, 1, false, b);
  assert.equal(cache.size, 3, 'same key replaced');
});

test('bounded: eviction keeps the size at the cap and spares recently hit names', () => {
  const cache = new DnsCache({ maxEntries: 100, now: () => 0 });
  const a = analyzed(
    response({ answers: [{ name: 'www.example.com', type: 'A', ttl: 60, data: '192.0.2.1' }] }),
  );
  for (let i = 0; i < 100; i++) cache.set(`n${i}.test`, 1, 1, false, a);
  assert.ok(cache.get('n0.test', 1, 1, false, 0));
  for (let i = 100; i < 1000; i++) {
    cache.set(`n${i}.test`, 1, 1, false, a);
    if (i % 50 === 0) cache.get('n0.test', 1, 1, false, 0);
  }
  assert.equal(cache.size, 100);
  assert.ok(cache.get('n0.test', 1, 1, false, 0), 'a name hit between evictions survives');
  assert.equal(cache.get('n1.test', 1, 1, false, 0), undefined);
  assert.ok(cache.get('n999.test', 1, 1, false, 0));
});
