/**
 * The resolver in its worker thread against a real dnsmasq upstream on 127.0.0.1 (no root):
 * policy and client copies follow the main thread's, answers and query records come back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '@packetpilot/protocol';
import { createSocket } from 'node:dgram';
import {
  queryPacket,
  resolveUdp,
  startDnsmasq,
  testLogger,
  waitFor,
  type Dnsmasq,
} from '../../dns/testing.js';
import {
  DEFAULT_DNS_SETTINGS,
  type DnsAnswer,
  type DnsAnswerListener,
  type DnsQueryRecord,
} from '../../dns/types.js';
import type { PolicySnapshot } from './messages.js';
import { DnsThread } from './client.js';

const DEVICE = 4;

function blockDomain(id: number, value: string, deviceId: number): Rule {
  const at = new Date(0).toISOString();
  return {
    id,
    action: 'block',
    target: { type: 'domain', value },
    scope: { type: 'device', id: deviceId },
    enabled: true,
    note: null,
    hits: 0,
    lastHitAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

class Recorder implements DnsAnswerListener {
  answers: DnsAnswer[] = [];
  queries: DnsQueryRecord[] = [];
  onAnswer(a: DnsAnswer) {
    this.answers.push(a);
  }
  onQuery(r: DnsQueryRecord) {
    this.queries.push(r);
  }
}

describe('DnsThread: the resolver in a worker thread', () => {
  let upstream: Dnsmasq;
  let thread: DnsThread;
  let port: number;
  const rec = new Recorder();
  let policy: PolicySnapshot = { rules: [], bypassExempt: [] };
  let entries: Array<[string, number]> = [];
  const unknown: string[] = [];
  const health: string[] = [];
  let dropped = 0;

  before(async () => {
    upstream = await startDnsmasq({ hosts: ['10.0.0.1 host1.test', '10.9.9.9 games.test'] });
    thread = new DnsThread({
      listen: [{ address: '127.0.0.1', port: 0 }],
      settings: { ...DEFAULT_DNS_SETTINGS, upstreams: [`127.0.0.1:${upstream.port}`] },
      policy: () => policy,
      clients: {
        addressEntries: () => entries,
        deviceIdForAddressSync: () => 0,
        unknownClient: (a) => unknown.push(a),
      },
      listener: rec,
      onQueriesDropped: (n) => (dropped += n),
      health: { raise: (code) => health.push(`+${code}`), clear: (code) => health.push(`-${code}`) },
      log: testLogger(),
    });
    await thread.start();
    port = thread.addresses()[0]!.port;
    assert.ok(port > 0);
  });
  after(async () => {
    await thread?.stop();
    await upstream?.stop();
  });

  it('answers, and hands answers and query records to the main thread', async () => {
    const r = await resolveUdp(port, 'host1.test', 'A');
    assert.deepEqual(
      r.answers.map((a) => a.data),
      ['10.0.0.1'],
    );
    const a = await waitFor('answer event', () => rec.answers.find((x) => x.name === 'host1.test'));
    assert.deepEqual([...a.addresses], ['10.0.0.1']);
    assert.equal(a.deviceId, 0, 'no device holds 127.0.0.1 yet');
    const q = await waitFor('query record', () => rec.queries.find((x) => x.name === 'host1.test'));
    assert.equal(q.rcode, 'NOERROR');
    assert.deepEqual(unknown, ['127.0.0.1'], 'the unknown client was reported for a rescan');

    for (let i = 0; i < 5; i++) await resolveUdp(port, 'host1.test', 'A');
    await waitFor('six query records', () => rec.queries.filter((x) => x.name === 'host1.test').length === 6);
    assert.equal(
      rec.answers.filter((x) => x.name === 'host1.test').length,
      1,
      'the same answer to the same client is passed on once a second, not per query',
    );
  });

  it('a flood of allowed queries: records over the rate are counted as dropped, none vanish', async () => {
    const before = (await thread.stats())!.queries;
    const recorded = rec.queries.length;
    const sock = createSocket('udp4');
    const q = queryPacket('host1.test', 'A');
    let answered = 0;
    sock.on('message', () => (answered += 1));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < 8000; i++) {
      sock.send(q, port, '127.0.0.1');
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await waitFor('answers to stop arriving', async () => {
      const seen = answered;
      await new Promise((r) => setTimeout(r, 200));
      return answered === seen;
    });
    sock.close();
    const handled = (await thread.stats())!.queries - before;
    await waitFor(
      'every handled query recorded or counted',
      () => rec.queries.length - recorded + dropped === handled,
    );
    assert.ok(dropped > 0, `some records dropped over the rate (handled ${handled})`);
  });

  it('a device rule applies once the address map and the policy reach the thread', async () => {
    entries = [['127.0.0.1', DEVICE]];
    thread.syncClients();
    policy = { rules: [blockDomain(11, 'games.test', DEVICE)], bypassExempt: [] };
    await thread.syncPolicy();
    const blocked = await waitFor('the block answer', async () => {
      const r = await resolveUdp(port, 'games.test', 'A');
      return r.answers[0]?.data === '0.0.0.0' ? r : undefined;
    });
    assert.equal(blocked.answers.length, 1);
    const q = await waitFor('blocked query record', () =>
      rec.queries.find((x) => x.name === 'games.test' && x.decision.action === 'block'),
    );
    assert.equal(q.deviceId, DEVICE);
    assert.equal(q.decision.ruleId, 11);

    policy = { rules: [], bypassExempt: [] };
    await thread.syncPolicy();
    await thread.policySynced();
    // No wait here: the acknowledgement means the very next query is decided by the new policy.
    const r = await resolveUdp(port, 'games.test', 'A');
    assert.equal(r.answers[0]?.data, '10.9.9.9');
  });

  it('settings reach the thread: a new upstream list', async () => {
    thread.updateSettings({ upstreams: ['127.0.0.1:9'] });
    assert.deepEqual(thread.settings.upstreams, ['127.0.0.1:9']);
    const r = await resolveUdp(port, 'nothing-cached.test', 'A');
    assert.equal(r.rcode, 'SERVFAIL');
    await waitFor('upstream health warning', () => health.includes('+dns_upstream_unreachable'));
    thread.updateSettings({ upstreams: [`127.0.0.1:${upstream.port}`] });
  });

  it('stats come from the thread', async () => {
    const s = await thread.stats();
    assert.ok(s && s.queries >= 4, JSON.stringify(s));
  });
});
