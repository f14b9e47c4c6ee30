/**
 * Upstream behaviour against scripted in-process upstreams: anti-spoofing, coalescing, TC → TCP,
 * failover on malformed answers, SERVFAIL and timeouts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { DnsServer } from './server.js';
import { decode, freePort, resolveUdp, testLogger, waitFor } from './testing.js';
import { parseUpstream } from './upstream.js';
import { HealthRegistry } from '../health/registry.js';
import { HEALTH_UPSTREAM_UNREACHABLE } from './options.js';
import type { DnsQueryRecord } from './types.js';

type Reply = Buffer | { delayMs: number; msg: Buffer };

/** A fake upstream on UDP+TCP of one port; `udp`/`tcp` script the replies to each query. */
class FakeUpstream {
  readonly udpQueries: Buffer[] = [];
  readonly tcpQueries: Buffer[] = [];
  udp: (q: Buffer) => Reply[] = (q) => [answerFor(q, '192.0.2.1')];
  tcp: (q: Buffer) => Buffer | null = (q) => answerFor(q, '192.0.2.1');
  readonly #timers = new Set<NodeJS.Timeout>();
  private constructor(
    readonly port: number,
    private readonly sock: UdpSocket,
    private readonly server: Server,
  ) {}

  static async start(fixedPort?: number): Promise<FakeUpstream> {
    const port = fixedPort ?? (await freePort());
    const sock = createSocket('udp4');
    const server = createServer();
    const fake = new FakeUpstream(port, sock, server);
    sock.on('message', (msg, rinfo) => {
      fake.udpQueries.push(msg);
      for (const r of fake.udp(msg)) {
        if (Buffer.isBuffer(r)) sock.send(r, rinfo.port, rinfo.address);
        else {
          const t = setTimeout(() => {
            fake.#timers.delete(t);
            sock.send(r.msg, rinfo.port, rinfo.address);
          }, r.delayMs);
          fake.#timers.add(t);
        }
      }
    });
    server.on('connection', (c) => {
      c.on('error', () => undefined);
      c.on('data', (d: Buffer) => {
        const msg = d.subarray(2, 2 + d.readUInt16BE(0));
        fake.tcpQueries.push(msg);
        const reply = fake.tcp(msg);
        if (reply) c.write(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
      });
    });
    await new Promise<void>((r) => sock.bind(port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    return fake;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await new Promise<void>((r) => this.sock.close(() => r()));
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A response to q with the given A records (and flags); the question is copied as asked. */
function answerFor(q: Buffer, ...addresses: string[]): Buffer {
  return reply(q, { answers: addresses });
}

function reply(q: Buffer, o: { answers?: string[]; flags?: number; id?: number; name?: string }): Buffer {
  const d = decode(q);
  const name = o.name ?? d.questions[0]!.name;
  return dnsPacket.encode({
    type: 'response',
    id: o.id ?? d.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (o.flags ?? 0),
    questions: [{ name, type: 'A', class: 'IN' }],
    answers: (o.answers ?? []).map((data) => ({ name, type: 'A' as const, ttl: 60, data })),
  });
}

const fakes: FakeUpstream[] = [];
const servers: DnsServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(fakes.map((f) => f.stop()));
});

async function setup(
  n = 1,
  timeoutMs = 300,
  health?: HealthRegistry,
  now?: () => number,
): Promise<{ port: number; up: FakeUpstream[]; dns: DnsServer; log: DnsQueryRecord[] }> {
  const up: FakeUpstream[] = [];
  for (let i = 0; i < n; i++) up.push(await FakeUpstream.start());
  fakes.push(...up);
  const log: DnsQueryRecord[] = [];
  const dns = new DnsServer({
    listen: [{ address: '127.0.0.1', port: 0 }],
    settings: {
      upstreams: up.map((u) => `127.0.0.1:${u.port}`),
      blockMode: 'null',
      blockTtl: 10,
      queryLogRetentionHours: 1,
    },
    policy: { generation: 1, decide: () => ({ action: 'allow', ruleId: null }) },
    clients: { deviceIdForAddressSync: () => 1 },
    listener: { onAnswer: () => undefined, onQuery: (r) => log.push(r) },
    log: testLogger(),
    tuning: { upstreamTimeoutMs: timeoutMs },
    health,
    now,
  });
  servers.push(dns);
  await dns.start();
  return { port: dns.addresses()[0]!.port, up, dns, log };
}

test('parseUpstream: address forms and errors with context', () => {
  assert.deepEqual(parseUpstream('192.0.2.53'), {
    host: '192.0.2.53',
    port: 53,
    family: 4,
    label: '192.0.2.53',
  });
  assert.equal(parseUpstream('192.0.2.53:5353').port, 5353);
  assert.deepEqual(parseUpstream('[2001:db8::53]:853'), {
    host: '2001:db8::53',
    port: 853,
    family: 6,
    label: '[2001:db8::53]:853',
  });
  assert.equal(parseUpstream('2001:db8::53').port, 53);
  assert.equal(parseUpstream('[2001:db8::53]').port, 53);
  assert.throws(() => parseUpstream('dns.example.com'), /dns\.example\.com.*not an IP address/);
  assert.throws(() => parseUpstream('192.0.2.53:99999'), /bad port/);
});

test('anti-spoofing: answers with the wrong id or question are ignored, the right one is used', async () => {
  const { port, up } = await setup();
  up[0]!.udp = (q) => {
    const id = q.readUInt16BE(0);
    return [
      reply(q, { id: id ^ 0xffff, answers: ['203.0.113.66'] }),
      reply(q, { name: 'evil.example', answers: ['203.0.113.66'] }),
      { delayMs: 20, msg: answerFor(q, '192.0.2.7') },
    ];
  };
  const r = await resolveUdp(port, 'www.example.com', 'A', { id: 4321 });
  assert.equal(r.id, 4321);
  assert.deepEqual(
    r.answers.map((a) => a.data),
    ['192.0.2.7'],
  );
  // The id towards the upstream is ours, not the client's.
  assert.notEqual(up[0]!.udpQueries[0]!.readUInt16BE(0), 4321);
});

test('identical misses in flight are coalesced into one upstream query', async () => {
  const { port, up, dns } = await setup();
  up[0]!.udp = (q) => [{ delayMs: 150, msg: answerFor(q, '192.0.2.8') }];
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      resolveUdp(port, i % 2 ? 'slow.example' : 'SLOW.example', 'A', { id: 100 + i }),
    ),
  );
  assert.equal(up[0]!.udpQueries.length, 1);
  answers.forEach((a, i) => {
    assert.equal(a.id, 100 + i);
    assert.equal(a.questions[0]!.name, i % 2 ? 'slow.example' : 'SLOW.example');
    assert.equal(a.answers[0]!.data, '192.0.2.8');
  });
  assert.equal(dns.stats().cacheMisses, 20);
});

test('a truncated UDP answer from upstream is retried over TCP', async () => {
  const { port, up } = await setup();
  up[0]!.udp = (q) => [reply(q, { flags: dnsPacket.TRUNCATED_RESPONSE })];
  up[0]!.tcp = (q) => answerFor(q, '192.0.2.1', '192.0.2.2', '192.0.2.3');
  const r = await resolveUdp(port, 'big.example', 'A', { edns: true });
  assert.equal(r.tc, false);
  assert.equal(r.answers.length, 3);
  assert.equal(up[0]!.tcpQueries.length, 1);
});

test('malformed, SERVFAIL and silent upstreams are skipped for the next one', async () => {
  const { port, up, dns } = await setup(3, 200);
  up[0]!.udp = (q) => {
    const bad = answerFor(q, '203.0.113.1');
    bad.writeUInt16BE(999, bad.length - 6); // rdlength past the end
    return [bad];
  };
  up[1]!.udp = (q) => [reply(q, { flags: 2 })];
  up[2]!.udp = (q) => [answerFor(q, '192.0.2.9')];
  const r = await resolveUdp(port, 'a.example', 'A');
  assert.equal(r.answers[0]!.data, '192.0.2.9');
  assert.equal(dns.stats().upstreamErrors, 2);

  up[2]!.udp = () => [];
  const t0 = Date.now();
  const failed = await resolveUdp(port, 'b.example', 'A');
  assert.equal(failed.rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 >= 190, 'waited for the silent upstream');
  assert.ok(Date.now() - t0 < 2_000);
});

test('a timed-out upstream moves to the back of the line', async () => {
  const { port, up } = await setup(2, 200);
  up[0]!.udp = () => [];
  await resolveUdp(port, 'c.example', 'A');
  const before = up[0]!.udpQueries.length;
  const r = await resolveUdp(port, 'd.example', 'A');
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(up[0]!.udpQueries.length, before, 'the healthy upstream was asked first');
});

test('an answer whose question has another qtype is not accepted (the exchange times out)', async () => {
  const { port, up } = await setup(1, 200);
  up[0]!.udp = (q) => {
    const wrongType = Buffer.from(answerFor(q, '192.0.2.1'));
    const qEnd = 12 + decode(q).questions[0]!.name.length + 2;
    wrongType.writeUInt16BE(28, qEnd);
    return [wrongType];
  };
  assert.equal((await resolveUdp(port, 'e.example', 'A')).rcode, 'SERVFAIL');
});

test('stop() with exchanges in flight resolves promptly and leaves no timers or sockets behind', async () => {
  const resources = (): string[] =>
    process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'TTYWrap')
      .sort();
  const counts = (rs: string[]): Record<string, number> =>
    rs.reduce<Record<string, number>>((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {});
  // Other tests' sockets may still be closing, so "settled" means: no kind of handle above the
  // snapshot, not an exact match.
  const leaks = (expected: string[]): Record<string, number> => {
    const now = counts(resources());
    const was = counts(expected);
    return Object.fromEntries(Object.entries(now).filter(([k, n]) => n > (was[k] ?? 0)));
  };
  const settle = async (expected: string[], what: string): Promise<void> => {
    try {
      await waitFor(what, () => Object.keys(leaks(expected)).length === 0, 2_000);
    } catch {
      assert.deepEqual(leaks(expected), {}, what);
    }
  };
  const baseline = resources();
  const silent = await FakeUpstream.start();
  fakes.push(silent);
  silent.udp = () => [];
  const withFake = resources();
  const dns = new DnsServer({
    listen: [{ address: '127.0.0.1', port: 0 }],
    settings: {
      upstreams: [`127.0.0.1:${silent.port}`],
      blockMode: 'null',
      blockTtl: 10,
      queryLogRetentionHours: 1,
    },
    policy: { generation: 1, decide: () => ({ action: 'allow', ruleId: null }) },
    clients: { deviceIdForAddressSync: () => 1 },
    listener: { onAnswer: () => undefined, onQuery: () => undefined },
    log: testLogger(),
  });
  await dns.start();
  const port = dns.addresses()[0]!.port;
  const pending = resolveUdp(port, 'pending.example', 'A', {}, 500).catch((err: Error) => err);
  await waitFor('the query to reach the upstream', () => silent.udpQueries.length === 1);
  const t0 = Date.now();
  await dns.stop();
  assert.ok(Date.now() - t0 < 1_000, `stop took ${Date.now() - t0} ms`);
  assert.ok((await pending) instanceof Error, 'the pending client got no answer');
  await settle(withFake, 'active handles after stop()');

  // And the same instance starts again and serves.
  silent.udp = (q) => [answerFor(q, '192.0.2.10')];
  await dns.start();
  const r = await resolveUdp(dns.addresses()[0]!.port, 'again.example', 'A');
  assert.equal(r.answers[0]!.data, '192.0.2.10');
  await dns.stop();
  fakes.splice(fakes.indexOf(silent), 1);
  await silent.stop();
  await settle(baseline, 'active handles after the second stop()');
});

test('an upstream that was down is used again once it answers; the health warning follows', async () => {
  const health = new HealthRegistry();
  const { port, up, dns } = await setup(1, 3_000, health);
  const upstreamPort = up[0]!.port;
  await up[0]!.stop();
  fakes.splice(fakes.indexOf(up[0]!), 1);
  const t0 = Date.now();
  assert.equal((await resolveUdp(port, 'f.example', 'A')).rcode, 'SERVFAIL');
  assert.ok(Date.now() - t0 < 1_500, 'port unreachable fails well before the 3 s timeout');
  assert.deepEqual(
    health.list().map((w) => w.code),
    [HEALTH_UPSTREAM_UNREACHABLE],
  );
  assert.match(health.list()[0]!.message, /f\.example/);

  const back = await FakeUpstream.start(upstreamPort);
  fakes.push(back);
  back.udp = (q) => [answerFor(q, '192.0.2.11')];
  const r = await resolveUdp(port, 'f.example', 'A');
  assert.equal(r.answers[0]!.data, '192.0.2.11');
  assert.deepEqual(health.list(), []);
  assert.ok(dns.stats().upstreamErrors >= 1);
});

test('end to end with an injected clock: hits age the TTL, expiry goes upstream again', async () => {
  let t = 1_800_000_000_000;
  const { port, up, dns } = await setup(1, 300, undefined, () => t);
  const first = await resolveUdp(port, 'clock.example', 'A');
  assert.equal(first.answers[0]!.ttl, 60);
  t += 30_500;
  const hit = await resolveUdp(port, 'clock.example', 'A');
  assert.equal(hit.answers[0]!.ttl, 30);
  assert.equal(up[0]!.udpQueries.length, 1);
  t += 29_500;
  await resolveUdp(port, 'clock.example', 'A');
  assert.equal(up[0]!.udpQueries.length, 2, 'expired at 60 s');
  assert.deepEqual([dns.stats().cacheHits, dns.stats().cacheMisses], [1, 2]);
});
