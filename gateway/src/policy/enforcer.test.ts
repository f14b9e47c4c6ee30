import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeNft } from '../netfilter/fake-nft.js';
import {
  buildGatewayTable,
  CHAIN_POLICY_GATE,
  CHAIN_POLICY_STAMP,
  MAX_POLICY_GENERATION,
  PolicyGeneration,
  policyGenerationCommands,
} from '../netfilter/gateway-table.js';
import { Nft } from '../netfilter/nft.js';
import { Enforcer, refreshModeFor, type EnforcerOptions } from './enforcer.js';

const T = { family: 'inet', table: 'packetpilot' } as const;
const C1 = '02:50:50:00:00:01';
const C2 = '02:50:50:00:00:02';

async function setup(opts: EnforcerOptions = { refresh: 'update' }) {
  const fake = new FakeNft();
  const nft = new Nft(fake);
  await nft.apply(buildGatewayTable({ lan: 'lan0', wan: 'wan0' }));
  fake.calls.length = 0;
  fake.batches.length = 0;
  return { fake, enforcer: new Enforcer(nft, opts) };
}

/** Elements of a set as `key timeout/expires`, read from the fake kernel. */
async function elems(fake: FakeNft, set: string): Promise<string[]> {
  const raw = (await fake.run('nft', ['-j', 'list', 'set', 'inet', 'packetpilot', set])).stdout;
  const doc = JSON.parse(raw) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  return (doc.nftables[1]?.set?.elem ?? []).map((e) => {
    const el = (typeof e === 'object' && e && 'elem' in e ? e.elem : { val: e }) as {
      val: unknown;
      expires?: number;
    };
    const v = el.val as string | { concat: string[] };
    const key = typeof v === 'string' ? v : v.concat.join(' . ');
    return el.expires === undefined ? key : `${key} ${el.expires}`;
  });
}

test('blockPairs: one nft process, one batch, both families, TTL floor and ceiling', async () => {
  const { fake, enforcer } = await setup({ refresh: 'update', minTtlSeconds: 60, maxTtlSeconds: 3600 });
  await enforcer.blockPairs([
    { mac: '02:50:50:00:00:01', address: '198.18.0.10', ttlSeconds: 5 },
    { mac: '02:50:50:00:00:01', address: '2001:db8:77::10', ttlSeconds: 120.2 },
    { mac: '02:50:50:00:00:02', address: '198.18.0.10', ttlSeconds: 1e9 },
  ]);
  assert.equal(fake.calls.length, 1, 'one spawn');
  assert.equal(fake.calls[0]![0], '-j');
  assert.deepEqual(fake.batches[0], [
    {
      add: {
        element: {
          ...T,
          name: 'block_pair4',
          elem: [
            { elem: { val: { concat: [C1, '198.18.0.10'] }, timeout: 60, expires: 60 } },
            { elem: { val: { concat: [C2, '198.18.0.10'] }, timeout: 3600, expires: 3600 } },
          ],
        },
      },
    },
    {
      add: {
        element: {
          ...T,
          name: 'block_pair6',
          elem: [{ elem: { val: { concat: [C1, '2001:db8:77::10'] }, timeout: 121, expires: 121 } }],
        },
      },
    },
  ]);
});

test('re-blocking refreshes the timeout and keeps the hit counter; unblocking a missing pair is fine', async () => {
  const { fake, enforcer } = await setup();
  await enforcer.blockPairs([{ mac: C1, address: '198.18.0.10', ttlSeconds: 600 }]);
  fake.count({ set: 'block_pair4', key: `${C1} . 198.18.0.10` }, 52);
  fake.elapse(500);
  assert.deepEqual(await elems(fake, 'block_pair4'), [`${C1} . 198.18.0.10 100`]);
  await enforcer.blockPairs([{ mac: C1.toUpperCase(), address: '198.18.0.10', ttlSeconds: 600 }]);
  assert.deepEqual(await elems(fake, 'block_pair4'), [`${C1} . 198.18.0.10 600`]);
  assert.deepEqual(await enforcer.pairCounters(), [
    { mac: C1, address: '198.18.0.10', packets: 1, bytes: 52, expiresSeconds: 600 },
  ]);

  // One present, one never added: the batch must not fail, and it is still one process.
  fake.calls.length = 0;
  await enforcer.unblockPairs([
    { mac: C1, address: '198.18.0.10' },
    { mac: C2, address: '2001:db8:77::99' },
  ]);
  assert.equal(fake.calls.length, 1);
  assert.deepEqual(await elems(fake, 'block_pair4'), []);
  assert.deepEqual(await elems(fake, 'block_pair6'), []);
  assert.deepEqual(fake.batches.at(-1), [
    { add: { element: { ...T, name: 'block_pair4', elem: [{ concat: [C1, '198.18.0.10'] }] } } },
    { delete: { element: { ...T, name: 'block_pair4', elem: [{ concat: [C1, '198.18.0.10'] }] } } },
    { add: { element: { ...T, name: 'block_pair6', elem: [{ concat: [C2, '2001:db8:77::99'] }] } } },
    { delete: { element: { ...T, name: 'block_pair6', elem: [{ concat: [C2, '2001:db8:77::99'] }] } } },
  ]);
});

test('replace mode (kernels before 6.12) deletes and re-adds in the same batch so the countdown restarts', async () => {
  const { fake, enforcer } = await setup({ refresh: 'replace' });
  await enforcer.blockBypassAddresses([{ address: '198.18.0.14', ttlSeconds: 900 }]);
  fake.elapse(800);
  await enforcer.blockBypassAddresses([{ address: '198.18.0.14', ttlSeconds: 900 }]);
  assert.deepEqual(fake.batches.at(-1), [
    { add: { element: { ...T, name: 'bypass_ip4', elem: ['198.18.0.14'] } } },
    { delete: { element: { ...T, name: 'bypass_ip4', elem: ['198.18.0.14'] } } },
    {
      add: {
        element: {
          ...T,
          name: 'bypass_ip4',
          elem: [{ elem: { val: '198.18.0.14', timeout: 900, expires: 900 } }],
        },
      },
    },
  ]);
  assert.deepEqual(await elems(fake, 'bypass_ip4'), ['198.18.0.14 900']);
  await enforcer.unblockBypassAddresses(['198.18.0.14', '2001:db8::1']);
  assert.deepEqual(await elems(fake, 'bypass_ip4'), []);
});

test('refresh mode follows the kernel: in-place updates from Linux 6.12', () => {
  assert.equal(refreshModeFor('6.1.0-18-amd64'), 'replace');
  assert.equal(refreshModeFor('6.6.51+rpt-rpi-2712'), 'replace');
  assert.equal(refreshModeFor('6.12.1'), 'update');
  assert.equal(refreshModeFor('6.18.44-fc-v657'), 'update');
  assert.equal(refreshModeFor('7.0.0'), 'update');
  assert.equal(refreshModeFor('garbage'), 'replace');
});

test('allow pairs and device sets: whole-set replacement is flush + add in one batch', async () => {
  const { fake, enforcer } = await setup();
  await enforcer.allowPairs([{ mac: C1, address: '198.18.0.1', ttlSeconds: 300 }]);
  await enforcer.setInternetBlocked([C1, { mac: C2, ttlSeconds: 3600 }, C1]);
  assert.deepEqual(fake.batches.at(-1), [
    { flush: { set: { ...T, name: 'internet_block' } } },
    {
      add: {
        element: {
          ...T,
          name: 'internet_block',
          elem: [C1, { elem: { val: C2, timeout: 3600, expires: 3600 } }],
        },
      },
    },
  ]);
  await enforcer.setInternetBlocked([C2]);
  assert.deepEqual(await elems(fake, 'internet_block'), [C2]);
  await enforcer.setInternetBlocked([]);
  assert.deepEqual(fake.batches.at(-1), [{ flush: { set: { ...T, name: 'internet_block' } } }]);
  await enforcer.setBypassExempt([C2]);
  await enforcer.setQuicBlocked([C1]);
  assert.deepEqual(await elems(fake, 'bypass_exempt'), [C2]);
  assert.deepEqual(await elems(fake, 'quic_block'), [C1]);
  await enforcer.unallowPairs([{ mac: C1, address: '198.18.0.1' }]);
  assert.deepEqual(await elems(fake, 'allow_pair4'), []);
});

test('bad input is rejected before anything runs; empty input runs nothing', async () => {
  const { fake, enforcer } = await setup();
  await assert.rejects(
    enforcer.blockPairs([{ mac: 'not-a-mac', address: '198.18.0.10', ttlSeconds: 1 }]),
    /not a MAC address/,
  );
  await assert.rejects(
    enforcer.blockPairs([{ mac: C1, address: 'www.youtube.com', ttlSeconds: 1 }]),
    /not an IP address/,
  );
  await assert.rejects(enforcer.setQuicBlocked(['02:50:50:00:00']), /not a MAC address/);
  await enforcer.blockPairs([]);
  await enforcer.unblockPairs([]);
  assert.equal(fake.calls.length, 0);
});

test('a failing batch surfaces with context and changes nothing', async () => {
  const { fake, enforcer } = await setup();
  fake.failNext = 'Error: Could not process rule: No such file or directory';
  await assert.rejects(
    enforcer.blockPairs([{ mac: C1, address: '198.18.0.10', ttlSeconds: 1 }]),
    /^Error: enforcer: block pairs: Error: Could not process rule/,
  );
  assert.deepEqual(await elems(fake, 'block_pair4'), []);
  assert.deepEqual(await new Enforcer(new Nft(new FakeNft()), { refresh: 'update' }).pairCounters(), []);
});

test('with the policy gate: every batch also moves the gate to the next generation, in the same batch', async () => {
  const generation = new PolicyGeneration(MAX_POLICY_GENERATION - 1);
  const { fake, enforcer } = await setup({ refresh: 'update', generation });
  const gateOf = () =>
    fake.table!.rules.filter((r) => r.chain === CHAIN_POLICY_GATE || r.chain === CHAIN_POLICY_STAMP);
  await enforcer.blockPairs([{ mac: C1, address: '198.18.0.10', ttlSeconds: 60 }]);
  assert.equal(fake.batches.length, 1, 'sets and gate in one atomic batch');
  assert.deepEqual(fake.batches[0]!.slice(-4), policyGenerationCommands(MAX_POLICY_GENERATION));
  assert.equal(gateOf().length, 2, 'one gate rule and one stamp rule, the old ones flushed');
  assert.ok(JSON.stringify(gateOf()).includes(String(MAX_POLICY_GENERATION << 16)));

  // after the last generation comes 1, never 0 (0 is a flow nobody checked yet)
  await enforcer.unblockPairs([{ mac: C1, address: '198.18.0.10' }]);
  assert.deepEqual(fake.batches[1]!.slice(-4), policyGenerationCommands(1));
  assert.equal(gateOf().length, 2);
  assert.equal(generation.current, 1);
});
