import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeNft } from './fake-nft.js';
import { Nft } from './nft.js';
import { buildGatewayTable } from './gateway-table.js';
import { accept, counter, iifname, jump, rule, update, type TableSpec } from './table.js';

const T = { family: 'inet', table: 'packetpilot' } as const;

const specA: TableSpec = {
  family: 'inet',
  name: 'packetpilot',
  sets: [
    { name: 'macs', type: 'ether_addr', flags: ['dynamic'], counter: true, size: 100 },
    { name: 'v6', type: 'ipv6_addr', flags: ['dynamic', 'timeout'], timeout: 60 },
  ],
  counters: ['total', 'old'],
  chains: [
    {
      name: 'fwd_acct',
      hook: { type: 'filter', hook: 'forward', priority: 10 },
      rules: [
        rule(iifname('lan0'), counter('total'), counter('old')),
        rule(update('macs', 'ether saddr'), jump('sub')),
      ],
    },
    { name: 'sub', rules: [rule(update('v6', 'ip6 daddr'), accept())] },
  ],
};

// B: 'v6' gets a different timeout (recreate), 'sub' and counter 'old' disappear, a set is added.
const specB: TableSpec = {
  ...specA,
  sets: [specA.sets[0]!, { ...specA.sets[1]!, timeout: 120 }, { name: 'v4', type: 'ipv4_addr' }],
  counters: ['total'],
  chains: [
    {
      name: 'fwd_acct',
      hook: { type: 'filter', hook: 'forward', priority: 10, policy: 'drop' },
      rules: [rule(iifname('lan0'), counter('total')), rule(update('macs', 'ether saddr'))],
    },
  ],
};

const ruleA1 = {
  add: { rule: { ...T, chain: 'fwd_acct', expr: specA.chains[0]!.rules[0]!.expr } },
};
const ruleA2 = { add: { rule: { ...T, chain: 'fwd_acct', expr: specA.chains[0]!.rules[1]!.expr } } };
const ruleA3 = { add: { rule: { ...T, chain: 'sub', expr: specA.chains[1]!.rules[0]!.expr } } };
const chainFwd = {
  add: { chain: { ...T, name: 'fwd_acct', type: 'filter', hook: 'forward', prio: 10, policy: 'accept' } },
};
const chainSub = { add: { chain: { ...T, name: 'sub' } } };

test('apply A on an empty kernel creates everything in one batch', async () => {
  const fake = new FakeNft();
  await new Nft(fake).apply(specA);
  assert.equal(fake.batches.length, 1);
  assert.deepEqual(fake.batches[0], [
    { add: { table: { family: 'inet', name: 'packetpilot' } } },
    // 'dynamic' is never sent: nft 1.0.6 JSON rejects it.
    { add: { set: { ...T, name: 'macs', type: 'ether_addr', size: 100, stmt: [{ counter: null }] } } },
    { add: { set: { ...T, name: 'v6', type: 'ipv6_addr', flags: ['timeout'], timeout: 60 } } },
    { add: { counter: { ...T, name: 'total' } } },
    { add: { counter: { ...T, name: 'old' } } },
    chainFwd,
    chainSub,
    ruleA1,
    ruleA2,
    ruleA3,
  ]);
});

test('apply A twice only re-adds chains and rules; counters and elements survive', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  await nft.apply(specA);
  fake.count({ counter: 'total' }, 1500);
  fake.count({ set: 'macs', key: '02:00:00:00:00:01' }, 1500);
  await nft.apply(specA);
  assert.deepEqual(fake.batches[1], [
    { add: { table: { family: 'inet', name: 'packetpilot' } } },
    { flush: { chain: { ...T, name: 'fwd_acct' } } },
    { flush: { chain: { ...T, name: 'sub' } } },
    chainFwd,
    chainSub,
    ruleA1,
    ruleA2,
    ruleA3,
  ]);
  const snap = await nft.snapshot('inet', 'packetpilot');
  assert.deepEqual(snap?.counters.total, { packets: 1, bytes: 1500 });
  assert.deepEqual(snap?.sets.macs, [{ key: '02:00:00:00:00:01', packets: 1, bytes: 1500 }]);
});

test('apply B recreates the changed set, drops the removed chain and counter, keeps the rest', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  await nft.apply(specA);
  fake.count({ counter: 'total' }, 100);
  fake.count({ set: 'macs', key: '02:00:00:00:00:01' }, 100);
  await nft.apply(specB);
  assert.deepEqual(fake.batches[1], [
    { add: { table: { family: 'inet', name: 'packetpilot' } } },
    { flush: { chain: { ...T, name: 'fwd_acct' } } },
    { flush: { chain: { ...T, name: 'sub' } } },
    { delete: { chain: { ...T, name: 'sub' } } },
    { delete: { set: { ...T, name: 'v6' } } },
    { delete: { counter: { ...T, name: 'old' } } },
    { add: { set: { ...T, name: 'v6', type: 'ipv6_addr', flags: ['timeout'], timeout: 120 } } },
    { add: { set: { ...T, name: 'v4', type: 'ipv4_addr' } } },
    { add: { chain: { ...T, name: 'fwd_acct', type: 'filter', hook: 'forward', prio: 10, policy: 'drop' } } },
    { add: { rule: { ...T, chain: 'fwd_acct', expr: specB.chains[0]!.rules[0]!.expr } } },
    { add: { rule: { ...T, chain: 'fwd_acct', expr: specB.chains[0]!.rules[1]!.expr } } },
  ]);
  const snap = await nft.snapshot('inet', 'packetpilot');
  assert.deepEqual(Object.keys(snap!.counters), ['total']);
  assert.equal(snap!.counters.total!.bytes, 100);
  assert.equal(snap!.sets.macs![0]!.bytes, 100);
  assert.deepEqual(Object.keys(snap!.sets).sort(), ['macs', 'v4', 'v6']);
});

test('a base chain whose hook or priority changed is deleted and recreated', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  await nft.apply(specB);
  const moved: TableSpec = {
    ...specB,
    chains: [{ ...specB.chains[0]!, hook: { type: 'filter', hook: 'forward', priority: 20 } }],
  };
  await nft.apply(moved);
  const cmds = fake.batches[1]!.map((c) => JSON.stringify(c));
  const del = cmds.indexOf(JSON.stringify({ delete: { chain: { ...T, name: 'fwd_acct' } } }));
  const flush = cmds.indexOf(JSON.stringify({ flush: { chain: { ...T, name: 'fwd_acct' } } }));
  assert.ok(flush >= 0 && del > flush, 'flush before delete');
});

test('the gateway table is stable: a second apply adds no sets or counters', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  const spec = buildGatewayTable({ lan: 'lan0', wan: 'wan0' });
  await nft.apply(spec);
  await nft.apply(spec);
  const second = fake.batches[1]!.map((c) => Object.keys(Object.values(c as object)[0] as object)[0]);
  assert.ok(!second.includes('set') && !second.includes('counter'), `second batch: ${second.join(',')}`);
});

test('nft errors carry context and stderr', async () => {
  const fake = new FakeNft();
  fake.failNext = 'Error: Could not process rule: No such file or directory';
  await assert.rejects(
    new Nft(fake).apply(specA),
    /^Error: apply nft table inet packetpilot: Error: Could not process rule/,
  );
});

test('snapshot/exists on a missing table: null/false; deleteTable is idempotent', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  assert.equal(await nft.snapshot('inet', 'packetpilot'), null);
  assert.equal(await nft.exists('inet', 'packetpilot'), false);
  await nft.deleteTable('inet', 'packetpilot');
  await nft.apply(specA);
  assert.equal(await nft.exists('inet', 'packetpilot'), true);
  await nft.deleteTable('inet', 'packetpilot');
  assert.equal(await nft.exists('inet', 'packetpilot'), false);
});

const POLICY = /^(block|allow|bypass|internet|quic)_|^(policy_|dns_redirect)/;
/** The table as the daemon applied it before the policy sets and chains existed. */
function accountingOnly(spec: TableSpec): TableSpec {
  return {
    ...spec,
    sets: spec.sets.filter((s) => !POLICY.test(s.name)),
    chains: spec.chains.filter((c) => !POLICY.test(c.name)),
  };
}
const kinds = (batch: unknown[]): string[] =>
  batch.map((c) => {
    const [verb, body] = Object.entries(c as object)[0] as [string, object];
    return `${verb} ${Object.keys(body)[0]}`;
  });

test('upgrading a running table with the policy sets and chains keeps accounting counters', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  const full = buildGatewayTable({ lan: 'lan0', wan: 'wan0', lanAddresses: { ipv4: '192.168.77.1' } });
  await nft.apply(accountingOnly(full));
  fake.count({ counter: 'fwd_up' }, 1500);
  fake.count({ set: 'dev_tx', key: '02:00:00:00:00:01' }, 1500);
  await nft.apply(full);
  const second = kinds(fake.batches[1]!);
  assert.ok(!second.includes('delete set') && !second.includes('delete counter'), second.join(','));
  assert.equal(second.filter((k) => k === 'add set').length, full.sets.length - 6, 'only the new sets');
  const snap = await nft.snapshot('inet', 'packetpilot');
  assert.deepEqual(snap?.counters.fwd_up, { packets: 1, bytes: 1500 });
  assert.deepEqual(snap?.sets.dev_tx, [{ key: '02:00:00:00:00:01', packets: 1, bytes: 1500 }]);
});

test('a re-apply keeps policy elements with their remaining timeouts and hit counters', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  const spec = buildGatewayTable({ lan: 'lan0', wan: 'wan0' });
  await nft.apply(spec);
  await nft.batch([
    {
      add: {
        element: {
          ...T,
          name: 'block_pair4',
          elem: [
            { elem: { val: { concat: ['02:00:00:00:00:01', '198.18.0.10'] }, timeout: 300, expires: 300 } },
          ],
        },
      },
    },
  ]);
  fake.count({ set: 'block_pair4', key: '02:00:00:00:00:01 . 198.18.0.10' }, 60);
  fake.elapse(100);
  await nft.apply(spec);
  assert.ok(!kinds(fake.batches.at(-1)!).includes('add element'));
  const listing = JSON.parse((await nft.listSet('inet', 'packetpilot', 'block_pair4'))!) as {
    nftables: Array<{ set?: { elem: unknown[] } }>;
  };
  assert.deepEqual(listing.nftables[1]!.set!.elem, [
    {
      elem: {
        val: { concat: ['02:00:00:00:00:01', '198.18.0.10'] },
        timeout: 300,
        expires: 200,
        counter: { packets: 1, bytes: 60 },
      },
    },
  ]);
});

test('a recreated set gets its elements back; timed ones keep their time, never become permanent', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  const v1: TableSpec = {
    family: 'inet',
    name: 'packetpilot',
    counters: [],
    chains: [],
    sets: [
      { name: 'p', type: ['ether_addr', 'ipv4_addr'], flags: ['timeout'], counter: true, size: 10 },
      { name: 'm', type: 'ether_addr', flags: ['timeout'] },
    ],
  };
  await nft.apply(v1);
  await nft.batch([
    {
      add: {
        element: {
          ...T,
          name: 'p',
          elem: [
            { elem: { val: { concat: ['02:00:00:00:00:01', '10.0.0.1'] }, timeout: 300, expires: 300 } },
            { concat: ['02:00:00:00:00:02', '10.0.0.2'] },
          ],
        },
      },
    },
    {
      add: {
        element: {
          ...T,
          name: 'm',
          elem: ['02:00:00:00:00:03', { elem: { val: '02:00:00:00:00:04', timeout: 60 } }],
        },
      },
    },
  ]);
  fake.elapse(50);
  // p grows, m loses its timeout flag: both are recreated.
  const v2: TableSpec = {
    ...v1,
    sets: [
      { ...v1.sets[0]!, size: 20 },
      { name: 'm', type: 'ether_addr' },
    ],
  };
  await nft.apply(v2);
  const batch = fake.batches.at(-1)!;
  assert.deepEqual(
    batch.filter((c) => 'add' in (c as object) && 'element' in (c as { add: object }).add),
    [
      {
        add: {
          element: {
            ...T,
            name: 'p',
            elem: [
              { elem: { val: { concat: ['02:00:00:00:00:01', '10.0.0.1'] }, timeout: 300, expires: 250 } },
              { concat: ['02:00:00:00:00:02', '10.0.0.2'] },
            ],
          },
        },
      },
      { add: { element: { ...T, name: 'm', elem: ['02:00:00:00:00:03'] } } },
    ],
  );
  const snap = await nft.snapshot('inet', 'packetpilot');
  assert.equal(snap?.sets.p?.length, 2);
  assert.deepEqual(
    snap?.sets.m?.map((e) => e.key),
    ['02:00:00:00:00:03'],
  );
});

test('small batches go on the command line, large ones through a file; both one process', async () => {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  await nft.apply(specA);
  assert.equal(fake.calls.at(-1)![0], '-j');
  assert.ok(fake.calls.at(-1)![1]!.startsWith('{"nftables":'));
  const elem = Array.from({ length: 8000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);
  fake.calls.length = 0;
  await nft.batch([
    { add: { set: { ...T, name: 'big', type: 'ipv4_addr' } } },
    { add: { element: { ...T, name: 'big', elem } } },
  ]);
  assert.deepEqual(
    fake.calls.map((c) => c.slice(0, 2).map((a) => a.slice(0, 12))),
    [['-j', '-f']],
  );
  assert.equal(
    JSON.parse((await nft.listSet('inet', 'packetpilot', 'big'))!).nftables[1].set.elem.length,
    8000,
  );
  await nft.batch([]);
  assert.equal(fake.calls.length, 2, 'an empty batch runs nothing');
});
