/**
 * Fuzz: 100,000 random and mutated packets at a running server (real dnsmasq upstream), garbage
 * TCP streams, and mutated upstream responses through the response parser. Afterwards the
 * server must still answer correctly. PRNG is seeded (PP_FUZZ_SEED to reproduce a failure).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { fromAnswer } from './answers.js';
import { analyzeResponse } from './response.js';
import { DnsServer } from './server.js';
import {
  decode,
  queryPacket,
  resolveUdp,
  startDnsmasq,
  tcpExchange,
  testLogger,
  waitFor,
  type Dnsmasq,
  type QueryType,
} from './testing.js';
import { parseQuery, type Query } from './wire.js';

const SEED = Number(process.env.PP_FUZZ_SEED ?? 0x5eed1234);
const PACKETS = 100_000;

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const NAMES = ['host1.test', 'a.b.c.d.test', 'nope.test', 'x.test', 'WwW.Example.COM', ''];
const TYPES: QueryType[] = ['A', 'AAAA', 'MX', 'TXT', 'HTTPS' as QueryType, 'PTR', 'SRV', 'CNAME'];

function validQuery(): Buffer {
  const type = TYPES[int(TYPES.length)]!;
  return queryPacket(NAMES[int(NAMES.length)]!, type === ('HTTPS' as QueryType) ? 'UNKNOWN_65' : type, {
    id: int(65536),
    edns: rnd() < 0.5,
    dnssecOk: rnd() < 0.2,
    udpSize: int(5000),
  });
}

/** One fuzz packet: random bytes, bit flips, truncation, or corrupted counts/lengths. */
function fuzzPacket(): Buffer {
  const r = rnd();
  if (r < 0.2) {
    const b = Buffer.alloc(int(r < 0.05 ? 14 : 600));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b;
  }
  const q = validQuery();
  if (r < 0.55) {
    for (let n = 1 + int(8); n > 0; n--) {
      const bit = int(q.length * 8);
      q[bit >> 3] = q[bit >> 3]! ^ (1 << (bit & 7));
    }
    // Keep most of them queries (QR=0), or the server just drops them.
    if (rnd() < 0.8) q[2] = q[2]! & 0x7f;
    return q;
  }
  if (r < 0.7) return q.subarray(0, int(q.length));
  // Length fields: counts in the header, a label length, or the OPT's RDLENGTH.
  const field = int(4);
  if (field === 0) q.writeUInt16BE(int(65536), 4 + 2 * int(4));
  else if (field === 1) q[12] = int(256);
  else if (field === 2 && q.length > 14) q[12 + int(Math.min(q.length - 12, 20))] = int(256);
  else q.writeUInt16BE(int(65536), q.length - 2);
  return q;
}

let upstream: Dnsmasq;
let dns: DnsServer;
let port: number;
const clients: UdpSocket[] = [];

before(async () => {
  upstream = await startDnsmasq({ hosts: ['10.0.0.1 host1.test', '10.0.0.2 x.test'] });
  dns = new DnsServer({
    listen: [{ address: '127.0.0.1', port: 0 }],
    settings: {
      upstreams: [`127.0.0.1:${upstream.port}`],
      blockMode: 'null',
      blockTtl: 10,
      queryLogRetentionHours: 1,
    },
    policy: {
      generation: 1,
      decide: (_d, n) =>
        n === 'x.test' ? { action: 'block', ruleId: 1, reason: 'rule' } : { action: 'allow', ruleId: null },
    },
    clients: { deviceIdForAddressSync: () => 1 },
    listener: { onAnswer: () => undefined, onQuery: () => undefined },
    log: testLogger(),
  });
  await dns.start();
  port = dns.addresses()[0]!.port;
});
after(async () => {
  for (const c of clients) c.close();
  await dns?.stop();
  await upstream?.stop();
});

test(
  `${PACKETS} random and mutated UDP packets (seed ${SEED}), then normal service`,
  { timeout: 60_000 },
  async (t) => {
    let replies = 0;
    for (let i = 0; i < 4; i++) {
      const c = createSocket('udp4');
      c.on('message', () => replies++);
      await new Promise<void>((r) => c.bind(0, '127.0.0.1', () => r()));
      clients.push(c);
    }
    // Flow control: the server shares this event loop, so sending faster than it reads only
    // fills the socket buffer and the kernel drops the rest. Keep at most WINDOW unhandled.
    const BATCH = 100;
    const WINDOW = 200;
    const handled = (): number => dns.stats().queries + dns.stats().dropped;
    for (let sent = 0; sent < PACKETS; sent += BATCH) {
      await Promise.all(
        Array.from(
          { length: BATCH },
          (_, i) =>
            new Promise<void>((resolve) =>
              clients[i & 3]!.send(fuzzPacket(), port, '127.0.0.1', () => resolve()),
            ),
        ),
      );
      const deadline = Date.now() + 200;
      while (handled() < sent + BATCH - WINDOW && Date.now() < deadline)
        await new Promise((r) => setImmediate(r));
    }
    const s = await waitFor('the server to work through the burst', async () => {
      const before = dns.stats();
      await new Promise((r) => setTimeout(r, 100));
      const now = dns.stats();
      return now.queries + now.dropped === before.queries + before.dropped ? now : null;
    });
    t.diagnostic(`stats after the burst: ${JSON.stringify(s)}, replies ${replies}`);
    // Most packets must have reached the handler (the kernel may drop a few in bursts).
    assert.ok(s.queries + s.dropped > PACKETS * 0.9, `handled ${s.queries + s.dropped}`);
    assert.ok(s.formErr > 1_000, `formErr ${s.formErr}`);
    assert.ok(s.dropped > 1_000, `dropped ${s.dropped}`);
    assert.ok(replies > 10_000, `replies ${replies}`);

    const r = await resolveUdp(port, 'host1.test', 'A', { id: 777 });
    assert.equal(r.id, 777);
    assert.deepEqual(
      r.answers.map((a) => a.data),
      ['10.0.0.1'],
    );
  },
);

test('garbage TCP streams close their own connections only', { timeout: 30_000 }, async () => {
  const streams: Buffer[] = [
    Buffer.from([0xff, 0xff, 1, 2, 3]), // huge frame that never completes
    Buffer.from([0x00, 0x00]), // zero length
    Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5]), // shorter than a header
    Buffer.concat([Buffer.from([0, 14]), Buffer.from([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])]), // a response
    Buffer.from(Array.from({ length: 3000 }, () => int(256))),
  ];
  for (let i = 0; i < 20; i++) {
    const q = fuzzPacket();
    streams.push(Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]));
  }
  await Promise.all(
    streams.map(
      (data) =>
        new Promise<void>((resolve) => {
          const sock = connect(port, '127.0.0.1');
          sock.on('connect', () => {
            sock.write(data);
            // Streams the server does not close itself are closed by us after a moment.
            setTimeout(() => sock.destroy(), 200).unref();
          });
          sock.on('error', () => undefined);
          sock.on('close', () => resolve());
        }),
    ),
  );
  const r = decode(await tcpExchange(port, queryPacket('host1.test', 'A', { id: 778 })));
  assert.equal(r.id, 778);
  assert.equal(r.answers[0]!.data, '10.0.0.1');
});

test('mutated upstream responses never throw out of the response parser', () => {
  const base = dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_AVAILABLE,
    questions: [{ name: 'host1.test', type: 'A', class: 'IN' }],
    answers: [
      { name: 'host1.test', type: 'CNAME', ttl: 60, data: 'x.test' },
      { name: 'x.test', type: 'A', ttl: 60, data: '10.0.0.2' },
      { name: 'x.test', type: 'AAAA', ttl: 60, data: 'fd00::2' },
    ],
    authorities: [
      {
        name: 'test',
        type: 'SOA',
        ttl: 60,
        data: { mname: 'ns.test', rname: 'h.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 5 },
      },
    ],
  });
  const q = parseQuery(queryPacket('host1.test', 'A')) as Query;
  let parsed = 0;
  for (let i = 0; i < 50_000; i++) {
    const m = Buffer.from(base.subarray(0, rnd() < 0.2 ? int(base.length) : base.length));
    for (let n = int(6); n >= 0 && m.length > 0; n--) m[int(m.length)] = int(256);
    const a = analyzeResponse(m, { negativeTtlNoSoa: 30, maxTtl: 86400 });
    if (typeof a === 'string') continue;
    parsed++;
    // The question length may differ after mutation; the server never pairs such an answer with
    // this query (question check), but building must still not throw on the bytes it has.
    if (a.wire.length >= q.questionEnd) fromAnswer(a, q, int(100), 512);
  }
  assert.ok(parsed > 1_000, `parsed ${parsed}`);
});
