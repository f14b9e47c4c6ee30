import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { AnswerMemory, deviceKey } from '../attribution/answers.js';
import { PolicyApplier, type FlowSelector, type PairEnforcer, type PolicyView } from './applier.js';
import type { Decision } from './decision.js';

const KID = { deviceId: 1, mac: '02:00:00:00:00:01', ips: ['192.168.77.11'] };
const DAD = { deviceId: 2, mac: '02:00:00:00:00:02', ips: ['192.168.77.12'] };

class Kernel implements PairEnforcer {
  pairs = new Map<string, number>();
  allowed: string[] = [];
  internet: string[] = [];
  bypass: string[] = [];
  exempt: string[] = [];
  quic: string[] = [];
  calls = 0;
  async blockPairs(p: Array<{ mac: string; address: string; ttlSeconds: number }>) {
    this.calls += 1;
    for (const x of p) this.pairs.set(`${x.mac}|${x.address}`, x.ttlSeconds);
  }
  async unblockPairs(p: Array<{ mac: string; address: string }>) {
    this.calls += 1;
    for (const x of p) this.pairs.delete(`${x.mac}|${x.address}`);
  }
  async blockBypassAddresses(a: Array<{ address: string; ttlSeconds: number }>) {
    this.bypass.push(...a.map((x) => x.address));
  }
  async allowPairs(p: Array<{ mac: string; address: string; ttlSeconds: number }>) {
    this.allowed.push(...p.map((x) => `${x.mac}|${x.address}`));
  }
  async setInternetBlocked(macs: string[]) {
    this.internet = macs;
  }
  async setBypassExempt(macs: string[]) {
    this.exempt = macs;
  }
  async setQuicBlocked(macs: string[]) {
    this.quic = macs;
  }
}

/** A policy where the test says what is blocked for whom. */
class Rules implements PolicyView {
  generation = 0;
  blocked = new Map<number, (name: string) => boolean>();
  internet = new Set<number>();
  decide(deviceId: number, name: string): Decision {
    return this.blocked.get(deviceId)?.(name)
      ? { action: 'block', ruleId: 9, reason: 'rule' }
      : { action: 'allow', ruleId: null };
  }
  internetBlocked(deviceId: number): Decision {
    return this.internet.has(deviceId)
      ? { action: 'block', ruleId: 3, reason: 'rule' }
      : { action: 'allow', ruleId: null };
  }
}

function setup(flows: Array<{ src: string; dst: string; domain: string }> = []) {
  const kernel = new Kernel();
  const rules = new Rules();
  const memory = new AnswerMemory();
  const killed: FlowSelector[] = [];
  const hits = new Map<number, number>();
  const applier = new PolicyApplier({
    policy: rules,
    enforcer: kernel,
    killer: {
      kill: async (s) => {
        killed.push(...s);
        return s.length;
      },
    },
    memory,
    devices: {
      knownDevices: () => [KID, DAD].map(({ deviceId, mac }) => ({ deviceId, mac })),
      addressesOf: (id) => [KID, DAD].find((d) => d.deviceId === id)?.ips ?? [],
    },
    flags: { flags: async () => ({ bypassExempt: [2], quicBlocked: [1] }) },
    flows: { liveFlows: () => flows },
    hits: { hit: (id, n) => hits.set(id, (hits.get(id) ?? 0) + n) },
    log: pino({ level: 'silent' }),
  });
  return { kernel, rules, memory, killed, hits, applier };
}

const yt = (n: string) => n.endsWith('youtube.com');

test('a new rule blocks the addresses the device was told, kills its live flows to them, and counts hits', async () => {
  const flows = [
    { src: KID.ips[0]!, dst: '198.18.0.10', domain: 'www.youtube.com' },
    { src: DAD.ips[0]!, dst: '198.18.0.10', domain: 'www.youtube.com' },
    { src: KID.ips[0]!, dst: '198.18.0.1', domain: 'files.lab.test' },
  ];
  const { kernel, rules, memory, killed, hits, applier } = setup(flows);
  memory.remember(deviceKey(1, KID.ips[0]!), ['198.18.0.10'], 'www.youtube.com', 300);
  memory.remember(deviceKey(2, DAD.ips[0]!), ['198.18.0.10'], 'www.youtube.com', 300);
  rules.blocked.set(1, yt);
  await applier.applyRules();
  assert.deepEqual([...kernel.pairs.keys()], [`${KID.mac}|198.18.0.10`], 'only the kid, only YouTube');
  assert.deepEqual(killed, [{ src: '192.168.77.11', dst: '198.18.0.10' }]);
  assert.equal(hits.get(9), 1);

  rules.blocked.clear();
  await applier.applyRules();
  assert.equal(kernel.pairs.size, 0, 'deleting the rule lifts the kernel block');
  assert.deepEqual(
    killed.slice(1),
    [{ src: '192.168.77.11', dst: '198.18.0.10', blockedOnly: true }],
    'and ends the flows the block caught (the kernel would keep dropping their remote side)',
  );
});

test('an address shared with an allowed name the device asked for last is not blocked (CDNs)', async () => {
  const { kernel, rules, memory, applier } = setup();
  const kid = deviceKey(1, KID.ips[0]!);
  memory.remember(kid, ['198.18.0.50'], 'www.youtube.com', 300);
  memory.remember(kid, ['198.18.0.50'], 'shop.example', 300);
  rules.blocked.set(1, yt);
  await applier.applyRules();
  assert.equal(kernel.pairs.size, 0);
});

test('blocked DNS answers become kernel pairs in one batch; bypass endpoints go to the bypass set', async () => {
  const { kernel, applier } = setup();
  const block: Decision = { action: 'block', ruleId: 9, reason: 'rule' };
  applier.onAnswer({
    client: KID.ips[0]!,
    deviceId: 1,
    name: 'www.youtube.com',
    addresses: ['198.18.0.10', '198.18.0.20'],
    ttl: 30,
    decision: block,
  });
  applier.onAnswer({
    client: KID.ips[0]!,
    deviceId: 1,
    name: 'm.youtube.com',
    addresses: ['198.18.0.21'],
    ttl: 30,
    decision: block,
  });
  applier.onAnswer({
    client: KID.ips[0]!,
    deviceId: 1,
    name: 'dns.google',
    addresses: ['198.18.0.53'],
    ttl: 30,
    decision: { action: 'block', ruleId: null, reason: 'bypass' },
  });
  applier.onAnswer({
    client: KID.ips[0]!,
    deviceId: 1,
    name: 'files.lab.test',
    addresses: ['198.18.0.1'],
    ttl: 30,
    decision: { action: 'allow', ruleId: null },
  });
  await applier.settle();
  assert.equal(kernel.calls, 1, 'one transaction for the burst');
  assert.deepEqual(
    [...kernel.pairs],
    [
      [`${KID.mac}|198.18.0.10`, 300],
      [`${KID.mac}|198.18.0.20`, 300],
      [`${KID.mac}|198.18.0.21`, 300],
    ],
  );
  assert.deepEqual(kernel.bypass, ['198.18.0.53']);
});

test('internet block: the device MAC goes into the set once and all its flows are killed', async () => {
  const { kernel, rules, killed, applier } = setup();
  rules.internet.add(1);
  await applier.applyRules();
  assert.deepEqual(kernel.internet, [KID.mac]);
  assert.deepEqual(killed, [{ src: '192.168.77.11' }]);
  await applier.applyRules();
  assert.equal(killed.length, 1, 'an unchanged block kills nothing more');
  rules.internet.clear();
  await applier.applyRules();
  assert.deepEqual(kernel.internet, []);
  assert.deepEqual(killed.slice(1), [{ src: '192.168.77.11', blockedOnly: true }], 'caught flows end');
});

test('per-device bypass and QUIC settings reach the kernel sets by MAC', async () => {
  const { kernel, applier } = setup();
  await applier.applyDevices();
  assert.deepEqual(kernel.exempt, [DAD.mac]);
  assert.deepEqual(kernel.quic, [KID.mac]);
});

test('under an internet block, names an allow rule lets through get their addresses allowed in the kernel', async () => {
  const { kernel, rules, applier } = setup();
  rules.internet.add(1);
  await applier.applyRules();
  const allow: Decision = { action: 'allow', ruleId: 4 };
  applier.onAnswer({
    client: KID.ips[0]!,
    deviceId: 1,
    name: 'khanacademy.org',
    addresses: ['198.18.0.30'],
    ttl: 60,
    decision: allow,
  });
  // the default allow (no rule) of an unblocked device adds nothing
  applier.onAnswer({
    client: DAD.ips[0]!,
    deviceId: 2,
    name: 'khanacademy.org',
    addresses: ['198.18.0.30'],
    ttl: 60,
    decision: allow,
  });
  await applier.settle();
  assert.deepEqual(kernel.allowed, [`${KID.mac}|198.18.0.30`]);
});
