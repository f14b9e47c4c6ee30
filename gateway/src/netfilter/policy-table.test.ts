import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/fixtures.js';
import {
  buildGatewayTable,
  CHAIN_DNS_REDIRECT,
  CHAIN_POLICY_BYPASS,
  CHAIN_POLICY_FORWARD,
  CHAIN_POLICY_FROM_LAN,
  CHAIN_POLICY_GATE,
  CHAIN_POLICY_STAMP,
  MAX_POLICY_GENERATION,
  PolicyGeneration,
  policyGenerationCommands,
  SET_BLOCK_PAIR4,
  SET_INTERNET_BLOCK,
} from './gateway-table.js';
import { planApply, setMatches } from './nft.js';
import { parseNftListing, parseNftSet } from './parse.js';
import { keyTypeText, type TableSpec } from './table.js';

// Captured from nft 1.0.6 (Debian bookworm) after applying exactly this spec and adding a few
// elements by hand (`nft add element … { 02:50:50:00:00:01 . 198.18.0.10 timeout 300s, … }`).
const FIXTURE = 'list-policy-table.json';
const LAN = { ipv4: '192.168.77.1', ipv6: 'fd77:77::1' };
const spec = (): TableSpec => buildGatewayTable({ lan: 'lan0', wan: 'wan0', lanAddresses: LAN });

type Listed = { rule?: { chain: string; expr: unknown[] } };

test('every rule of the spec is exactly what nft prints back (the real nft accepted this JSON)', () => {
  const doc = JSON.parse(readTestdata(import.meta.url, FIXTURE)) as { nftables: Listed[] };
  const listed = new Map<string, unknown[][]>();
  for (const { rule } of doc.nftables) {
    if (rule) listed.set(rule.chain, [...(listed.get(rule.chain) ?? []), rule.expr]);
  }
  const s = spec();
  assert.deepEqual([...listed.keys()].sort(), s.chains.map((c) => c.name).sort());
  for (const c of s.chains) {
    assert.deepEqual(
      listed.get(c.name),
      c.rules.map((r) => r.expr),
      `chain ${c.name}`,
    );
  }
});

test('sets as the kernel lists them match the spec, so a re-apply keeps them and their elements', () => {
  const listing = parseNftListing(readTestdata(import.meta.url, FIXTURE))!;
  const s = spec();
  for (const set of s.sets) {
    const l = listing.sets[set.name];
    assert.ok(l, set.name);
    assert.ok(setMatches(set, l), `${set.name}: ${JSON.stringify(l)}`);
  }
  assert.equal(listing.sets[SET_BLOCK_PAIR4]!.type, 'ether_addr . ipv4_addr');
  assert.equal(keyTypeText(['ether_addr', 'ipv6_addr']), 'ether_addr . ipv6_addr');
  const kinds = planApply(s, listing).map((c) => {
    const [verb, body] = Object.entries(c)[0] as [string, object];
    return `${verb} ${Object.keys(body)[0]}`;
  });
  assert.deepEqual(
    [...new Set(kinds)].sort(),
    ['add chain', 'add rule', 'add table', 'flush chain'],
    'no set, counter or element is touched',
  );
});

test('listed elements: concatenated keys, per-element timeout/expires and counters', () => {
  const listing = parseNftListing(readTestdata(import.meta.url, FIXTURE))!;
  assert.deepEqual(listing.elements[SET_BLOCK_PAIR4], [
    {
      key: '02:50:50:00:00:01 . 198.18.0.10',
      packets: 0,
      bytes: 0,
      val: { concat: ['02:50:50:00:00:01', '198.18.0.10'] },
      timeout: 300,
      expires: 299,
    },
    {
      key: '02:50:50:00:00:02 . 198.18.0.11',
      packets: 0,
      bytes: 0,
      val: { concat: ['02:50:50:00:00:02', '198.18.0.11'] },
      timeout: 3600,
      expires: 3599,
    },
  ]);
  // A set without counters lists plain values next to {"elem": …} ones with a timeout.
  assert.deepEqual(
    listing.elements[SET_INTERNET_BLOCK]!.map((e) => [e.key, e.timeout]),
    [
      ['02:50:50:00:00:03', undefined],
      ['02:50:50:00:00:04', 7200],
    ],
  );
  // The numbers view keeps its old shape.
  assert.deepEqual(listing.setElements.block_pair6, [
    { key: '02:50:50:00:00:01 . 2001:db8:77::10', packets: 0, bytes: 0 },
  ]);
});

test('list set output parses on its own', () => {
  const doc = JSON.parse(readTestdata(import.meta.url, FIXTURE)) as { nftables: Array<{ set?: unknown }> };
  const one = doc.nftables.find((i) => (i.set as { name?: string } | undefined)?.name === 'bypass_ip4');
  const parsed = parseNftSet(JSON.stringify({ nftables: [{ metainfo: {} }, one] }));
  assert.equal(parsed?.set.type, 'ipv4_addr');
  assert.deepEqual(
    parsed?.elements.map((e) => [e.key, e.timeout]),
    [['198.18.0.14', 600]],
  );
  assert.equal(parseNftSet('{"nftables":[]}'), null);
});

test('policy chains: forward at filter priority before accounting; DNS redirect only with addresses', () => {
  const noAddr = buildGatewayTable({ lan: 'lan0', wan: 'wan0' });
  const fwd = noAddr.chains.find((c) => c.name === CHAIN_POLICY_FORWARD)!;
  assert.equal(fwd.hook?.priority, 0);
  assert.ok(noAddr.chains.find((c) => c.name === 'acct_forward')!.hook!.priority > 0);
  assert.equal(
    noAddr.chains.find((c) => c.name === CHAIN_DNS_REDIRECT),
    undefined,
  );
  const text = (t: TableSpec, chain: string) =>
    JSON.stringify(t.chains.find((c) => c.name === chain)?.rules.map((r) => r.expr));
  assert.doesNotMatch(text(noAddr, CHAIN_POLICY_BYPASS), /"right":53/, 'no DNS drop without a redirect');

  // IPv4 only: IPv6 DNS has nowhere to go, so it is dropped instead of bypassing the gateway.
  const v4 = buildGatewayTable({ lan: 'lan0', wan: 'wan0', lanAddresses: { ipv4: '10.0.0.1' } });
  const redirect = v4.chains.find((c) => c.name === CHAIN_DNS_REDIRECT)!;
  assert.deepEqual(redirect.hook, { type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
  assert.equal(redirect.rules.length, 2);
  assert.match(text(v4, CHAIN_DNS_REDIRECT), /"dnat":\{"family":"ip","addr":"10.0.0.1"\}/);
  assert.match(text(v4, CHAIN_POLICY_BYPASS), /"nfproto"\}\},"right":"ipv6"\}.*"right":53/);
  assert.doesNotMatch(text(v4, CHAIN_POLICY_BYPASS), /"right":"ipv4"/);
});

test('fail-open DNS: while the resolver is down every LAN DNS packet goes to the upstream, none to us', () => {
  const t = buildGatewayTable({
    lan: 'lan0',
    wan: 'wan0',
    lanAddresses: { ipv4: '10.0.0.1', ipv6: 'fd00::1' },
    dnsFallback: { ipv4: '198.18.0.1' },
  });
  const rules = t.chains.find((c) => c.name === CHAIN_DNS_REDIRECT)!.rules.map((r) => JSON.stringify(r.expr));
  assert.equal(rules.length, 2, 'udp and tcp for IPv4; no IPv6 upstream, so no IPv6 rule');
  for (const r of rules) {
    assert.match(r, /"dnat":\{"family":"ip","addr":"198.18.0.1"\}/);
    assert.doesNotMatch(r, /10\.0\.0\.1/, 'no exception for the gateway address: it is not answering');
  }
});

test('policy gate: a generation outside 1–4095 is refused; generations cycle through 1–4095', () => {
  for (const bad of [0, MAX_POLICY_GENERATION + 1, 1.5, -1]) {
    assert.throws(() => buildGatewayTable({ lan: 'lan0', wan: 'wan0', policyGeneration: bad }), RangeError);
    assert.throws(() => policyGenerationCommands(bad), RangeError);
  }
  const g = new PolicyGeneration(MAX_POLICY_GENERATION);
  assert.deepEqual([g.next(), g.next()], [1, 2]);
  const seen = new Set<number>();
  const random = new PolicyGeneration();
  for (let i = 0; i < MAX_POLICY_GENERATION; i++) seen.add(random.next());
  assert.equal(seen.size, MAX_POLICY_GENERATION, 'every generation once per cycle');
  assert.ok(!seen.has(0));
});

test('policy gate: the table starts with the given generation; the from-LAN chain opens with the gate and ends with the stamp', () => {
  const s = buildGatewayTable({ lan: 'lan0', wan: 'wan0', policyGeneration: 7 });
  const chain = (name: string) => s.chains.find((c) => c.name === name)!;
  const fromLan = chain(CHAIN_POLICY_FROM_LAN).rules;
  assert.deepEqual(fromLan[0]!.expr, [{ jump: { target: CHAIN_POLICY_GATE } }]);
  assert.deepEqual(fromLan.at(-1)!.expr, [{ jump: { target: CHAIN_POLICY_STAMP } }]);
  const cmds = policyGenerationCommands(7);
  const added = cmds.flatMap((c) => ('add' in c ? [c.add.rule as { chain: string; expr: unknown }] : []));
  assert.deepEqual(
    added.map((r) => [r.chain, r.expr]),
    [
      [CHAIN_POLICY_GATE, chain(CHAIN_POLICY_GATE).rules[0]!.expr],
      [CHAIN_POLICY_STAMP, chain(CHAIN_POLICY_STAMP).rules[0]!.expr],
    ],
    'a bump writes the same rules the table starts with',
  );
});
