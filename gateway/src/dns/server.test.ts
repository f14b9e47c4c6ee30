/**
 * DnsServer against a real dnsmasq upstream, queried with dig and a small UDP/TCP client.
 * No root needed: everything listens on 127.0.0.1 high ports.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { DnsServer } from './server.js';
import type { DnsServerOptions } from './options.js';
import {
  decode,
  dig,
  freePort,
  queryPacket,
  resolveUdp,
  startDnsmasq,
  tcpExchange,
  testLogger,
  waitFor,
  type Dnsmasq,
} from './testing.js';
import type { Decision, DnsAnswerListener, DnsQueryRecord, DomainPolicy } from './types.js';

const MANY = Array.from({ length: 60 }, (_, i) => `10.60.0.${i + 1}`);

type AnswerEvent = Parameters<DnsAnswerListener['onAnswer']>[0];

class Recorder implements DnsAnswerListener {
  answers: AnswerEvent[] = [];
  queries: DnsQueryRecord[] = [];
  onAnswer(a: AnswerEvent): void {
    this.answers.push(a);
  }
  onQuery(r: DnsQueryRecord): void {
    this.queries.push(r);
  }
}

class FakePolicy implements DomainPolicy {
  generation = 1;
  readonly blocked = new Set<string>(['blocked.test']);
  decide(_deviceId: number, name: string): Decision {
    return this.blocked.has(name)
      ? { action: 'block', ruleId: 7, reason: 'rule' }
      : { action: 'allow', ruleId: null };
  }
}

async function startServer(
  upstreams: string[],
  extra: Partial<DnsServerOptions> = {},
): Promise<{ dns: DnsServer; port: number; rec: Recorder; policy: FakePolicy }> {
  const rec = new Recorder();
  const policy = new FakePolicy();
  const dns = new DnsServer({
    listen: [{ address: '127.0.0.1', port: 0 }],
    settings: { upstreams, blockMode: 'null', blockTtl: 10, queryLogRetentionHours: 24 },
    policy,
    clients: { deviceIdForAddressSync: (a) => (a === '127.0.0.1' ? 3 : 0) },
    listener: rec,
    log: testLogger(),
    ...extra,
  });
  await dns.start();
  return { dns, port: dns.addresses()[0]!.port, rec, policy };
}

describe('DnsServer with a dnsmasq upstream', () => {
  let upstream: Dnsmasq;
  let s: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    upstream = await startDnsmasq({
      hosts: [
        '10.0.0.1 host1.test',
        'fd00::1 host1.test',
        '10.9.9.9 blocked.test',
        ...MANY.map((a) => `${a} many.test`),
      ],
      args: ['--cname=alias.test,host1.test'],
    });
    s = await startServer([`127.0.0.1:${upstream.port}`]);
  });
  after(async () => {
    await s?.dns.stop();
    await upstream?.stop();
  });

  it('answers A and AAAA, keeps the 0x20 case of the question, and reports the answer', async () => {
    const out = await dig(s.port, ['+noall', '+answer', 'HoSt1.TeSt', 'A']);
    assert.match(out, /^HoSt1\.TeSt\.\s+\d+\s+IN\s+A\s+10\.0\.0\.1$/m);
    const v6 = await resolveUdp(s.port, 'host1.test', 'AAAA');
    assert.deepEqual(
      v6.answers.map((a) => a.data),
      ['fd00::1'],
    );
    const seen = await waitFor('onAnswer for host1.test AAAA', () =>
      s.rec.answers.find((a) => a.name === 'host1.test' && a.addresses.includes('fd00::1')),
    );
    assert.equal(seen.deviceId, 3);
    assert.equal(seen.decision.action, 'allow');
    assert.ok(seen.ttl > 0 && seen.ttl <= 300);
    const q = s.rec.queries.find((r) => r.name === 'host1.test' && r.qtype === 'AAAA');
    assert.ok(q);
    assert.equal(q.rcode, 'NOERROR');
    assert.equal(q.transport, 'udp');
    assert.deepEqual(q.answers, ['fd00::1']);
  });

  it('CNAME: the client gets the chain, the listener gets the name asked for', async () => {
    const r = await resolveUdp(s.port, 'alias.test', 'A');
    assert.deepEqual(
      r.answers.map((a) => [a.type, a.data]),
      [
        ['CNAME', 'host1.test'],
        ['A', '10.0.0.1'],
      ],
    );
    const a = await waitFor('onAnswer for alias.test', () =>
      s.rec.answers.find((x) => x.name === 'alias.test'),
    );
    assert.deepEqual(a.addresses, ['10.0.0.1']);
  });

  it('second identical query is a cache hit, served with aged TTLs', async () => {
    const first = await resolveUdp(s.port, 'host1.test', 'A', { id: 1 });
    const before = s.dns.stats();
    const second = await resolveUdp(s.port, 'HOST1.test', 'A', { id: 2 });
    const after = s.dns.stats();
    assert.equal(after.cacheHits, before.cacheHits + 1);
    assert.equal(second.id, 2);
    assert.equal(second.questions[0]!.name, 'HOST1.test');
    assert.ok(second.answers[0]!.ttl <= first.answers[0]!.ttl);
    assert.equal(s.rec.queries.at(-1)!.cached, true);
  });

  it('NXDOMAIN is cached negatively: the second query is a cache hit', async () => {
    const first = await resolveUdp(s.port, 'nope.test', 'A');
    assert.equal(first.rcode, 'NXDOMAIN');
    const hits = s.dns.stats().cacheHits;
    const second = await resolveUdp(s.port, 'nope.test', 'A');
    assert.equal(second.rcode, 'NXDOMAIN');
    assert.equal(s.dns.stats().cacheHits, hits + 1);
    const rec = s.rec.queries.filter((r) => r.name === 'nope.test');
    assert.deepEqual(
      rec.map((r) => [r.rcode, r.cached]),
      [
        ['NXDOMAIN', false],
        ['NXDOMAIN', true],
      ],
    );
  });

  it('TCP: dig +tcp, and several queries pipelined on one connection', async () => {
    const out = await dig(s.port, ['+tcp', '+noall', '+answer', 'host1.test', 'A']);
    assert.match(out, /IN\s+A\s+10\.0\.0\.1/);
    assert.ok(s.rec.queries.some((r) => r.transport === 'tcp'));

    const replies = await new Promise<Buffer[]>((resolve, reject) => {
      const sock = connect(s.port, '127.0.0.1');
      const got: Buffer[] = [];
      let buf = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('connect', () => {
        const frames = [
          queryPacket('host1.test', 'A', { id: 11 }),
          queryPacket('alias.test', 'A', { id: 12 }),
          queryPacket('host1.test', 'AAAA', { id: 13 }),
        ].map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]));
        // One write with all three frames, the last one split across two writes.
        const all = Buffer.concat(frames);
        sock.write(all.subarray(0, all.length - 5));
        setImmediate(() => sock.write(all.subarray(all.length - 5)));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
          got.push(buf.subarray(2, buf.readUInt16BE(0) + 2));
          buf = buf.subarray(buf.readUInt16BE(0) + 2);
        }
        if (got.length === 3) {
          sock.destroy();
          resolve(got);
        }
      });
    });
    assert.deepEqual(replies.map((r) => decode(r).id).sort(), [11, 12, 13]);
  });

  it('a large answer over UDP without EDNS is truncated; dig falls back to TCP and gets all of it', async () => {
    const truncated = await dig(s.port, ['+noedns', '+ignore', 'many.test', 'A']);
    assert.match(truncated, /flags: qr tc rd ra;|flags: qr [a-z ]*tc[a-z ]*;/);
    assert.match(truncated, /ANSWER: 0/);
    const full = await dig(s.port, ['+noedns', '+noall', '+answer', 'many.test', 'A']);
    const addrs = [...full.matchAll(/IN\s+A\s+(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(addrs.sort(), [...MANY].sort());
    // EDNS with a big enough buffer gets everything over UDP.
    const r = await resolveUdp(s.port, 'many.test', 'A', { edns: true, udpSize: 4096 });
    assert.equal(r.tc, false);
    assert.equal(r.answers.length, 60);
  });

  it('a blocked name gets 0.0.0.0 at once, and onAnswer still learns its real addresses', async () => {
    const r = await resolveUdp(s.port, 'blocked.test', 'A');
    assert.deepEqual(
      r.answers.map((a) => [a.data, a.ttl]),
      [['0.0.0.0', 10]],
    );
    const learned = await waitFor('onAnswer with the real address of blocked.test', () =>
      s.rec.answers.find((a) => a.name === 'blocked.test'),
    );
    assert.deepEqual(learned.addresses, ['10.9.9.9']);
    assert.equal(learned.decision.action, 'block');
    // Now cached: a second blocked query reports the addresses straight from the cache.
    const n = s.rec.answers.length;
    await resolveUdp(s.port, 'blocked.test', 'A');
    assert.equal(s.rec.answers.length, n + 1);
    assert.deepEqual(s.rec.answers.at(-1)!.addresses, ['10.9.9.9']);
    assert.ok(s.dns.stats().blocked >= 2);
    const logged = s.rec.queries.filter((q) => q.name === 'blocked.test');
    assert.deepEqual(logged[0]!.answers, ['0.0.0.0']);
    assert.equal(logged[0]!.decision.action, 'block');
  });

  it('policy generation changes take effect on the next query; blockMode nxdomain', async () => {
    s.policy.blocked.add('host1.test');
    s.policy.generation++;
    s.dns.updateSettings({ blockMode: 'nxdomain' });
    try {
      const r = await resolveUdp(s.port, 'host1.test', 'A');
      assert.equal(r.rcode, 'NXDOMAIN');
    } finally {
      s.policy.blocked.delete('host1.test');
      s.policy.generation++;
      s.dns.updateSettings({ blockMode: 'null' });
    }
    assert.equal((await resolveUdp(s.port, 'host1.test', 'A')).answers[0]!.data, '10.0.0.1');
  });

  it('ANY is answered NOTIMP', async () => {
    assert.equal((await resolveUdp(s.port, 'host1.test', 'ANY')).rcode, 'NOTIMP');
  });

  it('upstream down: SERVFAIL quickly; with a second upstream listed, that one answers', async () => {
    const dead = await freePort();
    const down = await startServer([`127.0.0.1:${dead}`]);
    try {
      const t0 = Date.now();
      const r = await resolveUdp(down.port, 'host1.test', 'A');
      assert.equal(r.rcode, 'SERVFAIL');
      assert.ok(Date.now() - t0 < 1_000, `SERVFAIL took ${Date.now() - t0} ms`);
      assert.ok(down.dns.stats().upstreamErrors >= 1);
      assert.equal(down.rec.queries.at(-1)!.rcode, 'SERVFAIL');

      down.dns.updateSettings({ upstreams: [`127.0.0.1:${dead}`, `127.0.0.1:${upstream.port}`] });
      const ok = await resolveUdp(down.port, 'host1.test', 'A');
      assert.equal(ok.rcode, 'NOERROR');
      assert.equal(ok.answers[0]!.data, '10.0.0.1');
    } finally {
      await down.dns.stop();
    }
  });

  it('TCP framing garbage closes only that connection', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(s.port, '127.0.0.1');
      sock.on('connect', () => sock.write(Buffer.from([0x00, 0x03, 1, 2, 3])));
      sock.on('close', () => resolve(true));
      sock.on('error', () => undefined);
    });
    assert.ok(closed);
    const r = decode(await tcpExchange(s.port, queryPacket('host1.test', 'A', { id: 99 })));
    assert.equal(r.id, 99);
    assert.equal(r.answers[0]!.data, '10.0.0.1');
  });

  it('listens on IPv6 too (UDP and TCP), each address on its own port', async (t) => {
    const v6 = new DnsServer({
      listen: [{ address: '::1', port: 0 }],
      settings: {
        upstreams: [`127.0.0.1:${upstream.port}`],
        blockMode: 'null',
        blockTtl: 10,
        queryLogRetentionHours: 1,
      },
      policy: new FakePolicy(),
      clients: { deviceIdForAddressSync: () => 0 },
      listener: new Recorder(),
      log: testLogger(),
    });
    try {
      await v6.start();
    } catch (err) {
      t.skip(`no IPv6 loopback: ${(err as Error).message}`);
      return;
    }
    try {
      const port = v6.addresses()[0]!.port;
      assert.match(await dig(port, ['+short', 'host1.test'], '::1'), /^10\.0\.0\.1$/m);
      assert.match(await dig(port, ['+short', '+tcp', 'host1.test'], '::1'), /^10\.0\.0\.1$/m);
    } finally {
      await v6.stop();
    }
  });
});
