import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuleScope, RuleTarget } from '@packetpilot/protocol';
import { Catalog } from '../classify/catalog.js';
import { PolicyEngine, type PolicyCatalog, type PolicyRule } from './engine.js';

const catalog = new Catalog({
  services: {
    youtube: 'youtube.com\ngooglevideo.com\n',
    netflix: 'netflix.com\n',
    tiktok: 'tiktok.com\n',
  },
  bypass: {
    'encrypted-dns': 'dns.google\ncloudflare-dns.com\n',
    browsers: 'use-application-dns.net\n',
    linux: 'whonix.org\n',
    tor: 'torproject.org\n',
  },
  taxonomy: {
    categories: [
      { id: 'video', name: 'Video', services: ['youtube', 'netflix'] },
      { id: 'social', name: 'Social', services: ['tiktok'] },
    ],
    services: { youtube: 'YouTube', netflix: 'Netflix', tiktok: 'TikTok' },
  },
});

const KID = 1;
const DAD = 2;
const UNKNOWN = 0;

/** Rule builders: ids follow the order in the row. */
type Spec = [action: 'block' | 'allow', target: string, scope: number | 'all', enabled?: boolean];
function target(t: string): RuleTarget {
  if (t === 'internet') return { type: 'internet' };
  const [type, value] = t.split(':') as [string, string];
  if (type === 'service') return { type: 'service', id: value };
  if (type === 'category') return { type: 'category', id: value };
  if (type === 'app') return { type: 'app', name: value };
  return { type: 'domain', value };
}
function rulesOf(specs: Spec[]): PolicyRule[] {
  return specs.map(([action, t, scope, enabled = true], i) => ({
    id: i + 1,
    action,
    target: target(t),
    scope: (scope === 'all' ? { type: 'all' } : { type: 'device', id: scope }) as RuleScope,
    enabled,
  }));
}

interface Row {
  why: string;
  rules: Spec[];
  device: number;
  name: string;
  /** 'allow' / 'block' and the deciding rule's 1-based position (null: no rule). */
  expect: [action: 'allow' | 'block', rule: number | null, reason: 'rule' | 'bypass' | 'default'];
  bypassOff?: number[];
}

const table: Row[] = [
  {
    why: 'no rules: allowed',
    rules: [],
    device: KID,
    name: 'example.com',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'internet block for the kid',
    rules: [['block', 'internet', KID]],
    device: KID,
    name: 'example.com',
    expect: ['block', 1, 'rule'],
  },
  {
    why: "the kid's internet block does not touch dad",
    rules: [['block', 'internet', KID]],
    device: DAD,
    name: 'example.com',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'domain beats internet even when the domain rule is for all and the internet rule for the device',
    rules: [
      ['block', 'internet', KID],
      ['allow', 'domain:khanacademy.org', 'all'],
    ],
    device: KID,
    name: 'www.khanacademy.org',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'block youtube for all, allow it for dad: dad gets through',
    rules: [
      ['block', 'service:youtube', 'all'],
      ['allow', 'service:youtube', DAD],
    ],
    device: DAD,
    name: 'www.youtube.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'block youtube for all, allow it for dad: the kid does not',
    rules: [
      ['block', 'service:youtube', 'all'],
      ['allow', 'service:youtube', DAD],
    ],
    device: KID,
    name: 'www.youtube.com',
    expect: ['block', 1, 'rule'],
  },
  {
    why: 'device scope beats all at equal target, even a block over an allow',
    rules: [
      ['allow', 'service:youtube', 'all'],
      ['block', 'service:youtube', KID],
    ],
    device: KID,
    name: 'youtube.com',
    expect: ['block', 2, 'rule'],
  },
  {
    why: 'service beats category: allow youtube (all) through a video block (device)',
    rules: [
      ['block', 'category:video', KID],
      ['allow', 'service:youtube', 'all'],
    ],
    device: KID,
    name: 'm.youtube.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'the category block still holds for the rest of the category',
    rules: [
      ['block', 'category:video', KID],
      ['allow', 'service:youtube', 'all'],
    ],
    device: KID,
    name: 'www.netflix.com',
    expect: ['block', 1, 'rule'],
  },
  {
    why: 'service beats category the other way round',
    rules: [
      ['allow', 'category:video', KID],
      ['block', 'service:youtube', KID],
    ],
    device: KID,
    name: 'googlevideo.com',
    expect: ['block', 2, 'rule'],
  },
  {
    why: 'category beats internet',
    rules: [
      ['block', 'internet', 'all'],
      ['allow', 'category:social', 'all'],
    ],
    device: KID,
    name: 'www.tiktok.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'domain beats service',
    rules: [
      ['block', 'service:youtube', 'all'],
      ['allow', 'domain:music.youtube.com', 'all'],
    ],
    device: KID,
    name: 'music.youtube.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'a longer domain beats a shorter one, whatever their scopes',
    rules: [
      ['allow', 'domain:youtube.com', KID],
      ['block', 'domain:m.youtube.com', 'all'],
    ],
    device: KID,
    name: 'x.m.youtube.com',
    expect: ['block', 2, 'rule'],
  },
  {
    why: 'the shorter domain still decides its other subdomains',
    rules: [
      ['allow', 'domain:youtube.com', KID],
      ['block', 'domain:m.youtube.com', 'all'],
    ],
    device: KID,
    name: 'www.youtube.com',
    expect: ['allow', 1, 'rule'],
  },
  {
    why: 'allow beats block at equal specificity (device)',
    rules: [
      ['block', 'domain:example.com', KID],
      ['allow', 'domain:example.com', KID],
    ],
    device: KID,
    name: 'example.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'allow beats block at equal specificity (all, internet)',
    rules: [
      ['block', 'internet', 'all'],
      ['allow', 'internet', 'all'],
    ],
    device: KID,
    name: 'example.com',
    expect: ['allow', 2, 'rule'],
  },
  {
    why: 'a disabled rule never matches',
    rules: [['block', 'internet', KID, false]],
    device: KID,
    name: 'example.com',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'a disabled allow does not lift a block',
    rules: [
      ['block', 'service:youtube', KID],
      ['allow', 'domain:youtube.com', KID, false],
    ],
    device: KID,
    name: 'youtube.com',
    expect: ['block', 1, 'rule'],
  },
  {
    why: 'a domain rule covers subdomains, not look-alikes (suffix after a dot)',
    rules: [['block', 'domain:example.com', 'all']],
    device: KID,
    name: 'notexample.com',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'a domain rule does not match the name with more labels after it',
    rules: [['block', 'domain:example.com', 'all']],
    device: KID,
    name: 'example.com.evil.net',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'a domain rule matches deep subdomains',
    rules: [['block', 'domain:example.com', 'all']],
    device: KID,
    name: 'a.b.c.example.com',
    expect: ['block', 1, 'rule'],
  },
  {
    why: 'a bare (TLD-less) domain rule',
    rules: [['block', 'domain:example', 'all']],
    device: KID,
    name: 'printer.example',
    expect: ['block', 1, 'rule'],
  },
  {
    why: 'a service rule does not match youtube.com.evil.net',
    rules: [['block', 'service:youtube', 'all']],
    device: KID,
    name: 'youtube.com.evil.net',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'unknown client (device 0): only scope-all rules apply',
    rules: [
      ['block', 'internet', KID],
      ['block', 'service:tiktok', 'all'],
    ],
    device: UNKNOWN,
    name: 'example.com',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'unknown client (device 0): scope-all rules do apply',
    rules: [
      ['allow', 'service:tiktok', KID],
      ['block', 'service:tiktok', 'all'],
    ],
    device: UNKNOWN,
    name: 'tiktok.com',
    expect: ['block', 2, 'rule'],
  },
  {
    why: 'no rule: a DoH endpoint is blocked by bypass prevention',
    rules: [['block', 'service:youtube', KID]],
    device: KID,
    name: 'dns.google',
    expect: ['block', null, 'bypass'],
  },
  {
    why: 'no rule: bypass prevention also covers unknown clients',
    rules: [],
    device: UNKNOWN,
    name: 'mozilla.cloudflare-dns.com',
    expect: ['block', null, 'bypass'],
  },
  {
    why: "Firefox's canary domain is blocked so it keeps DoH off",
    rules: [],
    device: KID,
    name: 'use-application-dns.net',
    expect: ['block', null, 'bypass'],
  },
  {
    why: 'tor is a bypass',
    rules: [],
    device: KID,
    name: 'www.torproject.org',
    expect: ['block', null, 'bypass'],
  },
  {
    why: "the 'linux' list (distros' websites) is not blocked",
    rules: [],
    device: KID,
    name: 'whonix.org',
    expect: ['allow', null, 'default'],
  },
  {
    why: 'bypass prevention off for the device: allowed',
    rules: [],
    device: DAD,
    name: 'dns.google',
    expect: ['allow', null, 'default'],
    bypassOff: [DAD],
  },
  {
    why: 'an explicit allow beats bypass blocking',
    rules: [['allow', 'domain:dns.google', KID]],
    device: KID,
    name: 'dns.google',
    expect: ['allow', 1, 'rule'],
  },
  {
    why: "an internet block names its rule for a DoH endpoint (a rule matched, so it's the reason)",
    rules: [['block', 'internet', KID]],
    device: KID,
    name: 'dns.google',
    expect: ['block', 1, 'rule'],
  },
  {
    why: "another device's allow is no match for this one: bypass still applies",
    rules: [['allow', 'domain:dns.google', DAD]],
    device: KID,
    name: 'dns.google',
    expect: ['block', null, 'bypass'],
  },
];

for (const row of table) {
  test(`precedence: ${row.why}`, () => {
    const rules = rulesOf(row.rules);
    const off = new Set(row.bypassOff ?? []);
    const engine = new PolicyEngine({ catalog, rules, bypassPrevention: (id) => !off.has(id) });
    const [action, position, reason] = row.expect;
    const decision = engine.decide(row.device, row.name);
    assert.equal(decision.action, action);
    assert.equal(decision.ruleId, position);
    if (decision.action === 'block') assert.equal(decision.reason, reason === 'bypass' ? 'bypass' : 'rule');
    assert.deepEqual(engine.decide(row.device, row.name), decision, 'the cached decision is the same');

    // explain agrees, and its independent ordering puts the deciding rule first.
    const e = engine.explain(row.device, row.name.toUpperCase() + '.');
    assert.equal(e.name, row.name);
    assert.deepEqual(e.decision, decision);
    assert.equal(e.reason, reason);
    if (position !== null) assert.equal(e.matched[0]?.rule.id, position);
    else assert.deepEqual(e.matched, []);
  });
}

test('explain lists every matching rule, most specific first, with its specificity', () => {
  const engine = new PolicyEngine({
    catalog,
    rules: rulesOf([
      ['block', 'internet', 'all'], // 1
      ['block', 'category:video', KID], // 2
      ['allow', 'service:youtube', 'all'], // 3
      ['block', 'domain:youtube.com', 'all'], // 4
      ['allow', 'domain:m.youtube.com', KID], // 5
      ['block', 'domain:m.youtube.com', KID], // 6
      ['block', 'domain:m.youtube.com', 'all'], // 7
      ['block', 'domain:m.youtube.com', DAD], // 8: another device
      ['block', 'domain:netflix.com', 'all'], // 9: another name
      ['allow', 'internet', KID, false], // 10: disabled
    ]),
  });
  const e = engine.explain(KID, 'm.youtube.com');
  assert.deepEqual(
    e.matched.map((m) => [m.rule.id, m.specificity]),
    [
      [5, { target: 'domain', length: 13, scope: 'device' }],
      [6, { target: 'domain', length: 13, scope: 'device' }],
      [7, { target: 'domain', length: 13, scope: 'all' }],
      [4, { target: 'domain', length: 11, scope: 'all' }],
      [3, { target: 'service', length: 0, scope: 'all' }],
      [2, { target: 'category', length: 0, scope: 'device' }],
      [1, { target: 'internet', length: 0, scope: 'all' }],
    ],
  );
  assert.deepEqual(e.decision, { action: 'allow', ruleId: 5 });
  assert.deepEqual(
    [e.service?.id, e.category?.id, e.bypass, e.bypassPrevention],
    ['youtube', 'video', null, true],
  );
  assert.equal(engine.explain(KID, 'dns.google').bypass, 'encrypted-dns');
});

test('a generation bump (setRules / invalidate) drops cached decisions', () => {
  const engine = new PolicyEngine({ catalog });
  const g0 = engine.generation;
  let told = 0;
  engine.onChange(() => (told += 1));
  assert.equal(engine.decide(KID, 'youtube.com').action, 'allow');
  assert.equal(engine.cachedDecisions, 1);

  engine.setRules(rulesOf([['block', 'service:youtube', KID]]));
  assert.ok(engine.generation > g0);
  assert.equal(told, 1, 'listeners (the DNS thread) hear of the change');
  assert.equal(engine.cachedDecisions, 0);
  assert.deepEqual(engine.decide(KID, 'youtube.com'), { action: 'block', ruleId: 1, reason: 'rule' });

  engine.setRules([]);
  assert.equal(engine.decide(KID, 'youtube.com').action, 'allow');

  // A device setting read through the lookup: cached until invalidate().
  let on = true;
  const flagged = new PolicyEngine({ catalog, bypassPrevention: () => on });
  assert.equal(flagged.decide(KID, 'dns.google').action, 'block');
  on = false;
  assert.equal(flagged.decide(KID, 'dns.google').action, 'block', 'cached');
  const g1 = flagged.generation;
  flagged.invalidate();
  assert.equal(flagged.generation, g1 + 1);
  assert.equal(flagged.decide(KID, 'dns.google').action, 'allow');
  assert.equal(flagged.decide(UNKNOWN, 'dns.google').action, 'block', 'device 0 always has it on');
});

test('the decision cache is bounded', () => {
  const engine = new PolicyEngine({ catalog, maxCachedDecisions: 100 });
  for (let i = 0; i < 1000; i++) engine.decide(KID, `host${i}.example.com`);
  assert.equal(engine.cachedDecisions, 100);
});

test('internetBlocked: the decision for names no specific rule matches', () => {
  const engine = new PolicyEngine({
    catalog,
    rules: rulesOf([
      ['block', 'internet', 'all'],
      ['allow', 'internet', DAD],
      ['block', 'service:youtube', KID],
      ['block', 'internet', 3, false],
    ]),
  });
  assert.deepEqual(engine.internetBlocked(KID), { action: 'block', ruleId: 1, reason: 'rule' });
  assert.deepEqual(engine.internetBlocked(DAD), { action: 'allow', ruleId: 2 });
  assert.deepEqual(engine.internetBlocked(UNKNOWN), { action: 'block', ruleId: 1, reason: 'rule' });
  engine.setRules(rulesOf([['block', 'service:youtube', KID]]));
  assert.deepEqual(engine.internetBlocked(KID), { action: 'allow', ruleId: null });
});

test('rulesForDevice: enabled rules whose scope covers the device', () => {
  const engine = new PolicyEngine({
    catalog,
    rules: rulesOf([
      ['block', 'internet', 'all'],
      ['allow', 'internet', DAD],
      ['block', 'service:youtube', KID],
      ['block', 'service:netflix', KID, false],
    ]),
  });
  assert.deepEqual(
    engine.rulesForDevice(KID).map((r) => r.id),
    [1, 3],
  );
  assert.deepEqual(
    engine.rulesForDevice(DAD).map((r) => r.id),
    [1, 2],
  );
  assert.deepEqual(
    engine.rulesForDevice(UNKNOWN).map((r) => r.id),
    [1],
  );
});

test('speed sanity (not timed): catalogue work per decision does not grow with the rule count; repeats are cache hits', () => {
  let lookups = 0;
  const counting: PolicyCatalog = {
    serviceForDomain: (n) => (lookups++, catalog.serviceForDomain(n)),
    bypassKind: (n) => (lookups++, catalog.bypassKind(n)),
    category: (id) => catalog.category(id),
  };
  const specs: Spec[] = [];
  for (let i = 0; i < 20_000; i++) specs.push(['block', `domain:site${i}.example.org`, (i % 50) + 1]);
  specs.push(['block', 'service:netflix', 'all'], ['block', 'category:social', KID]);
  const engine = new PolicyEngine({ catalog: counting, rules: rulesOf(specs) });

  assert.deepEqual(engine.decide(7, 'www.site6.example.org'), { action: 'block', ruleId: 7, reason: 'rule' });
  assert.equal(lookups, 0, 'a domain rule decides without the catalogue');
  assert.equal(engine.decide(8, 'www.site6.example.org').action, 'allow');
  assert.ok(lookups <= 2, `at most one service and one bypass lookup per decision, got ${lookups}`);
  lookups = 0;
  for (let i = 0; i < 1000; i++) engine.decide(KID, 'www.tiktok.com');
  assert.equal(lookups, 1, 'one evaluation, then the cache');
});

test('app rules: the device’s own beats all-devices, allow beats block in a scope; names never match them', () => {
  const engine = new PolicyEngine({
    catalog,
    rules: rulesOf([
      ['block', 'app:Steam', 'all'],
      ['allow', 'app:steam', KID], // KID may play
      ['block', 'app:curl', KID],
      ['block', 'app:firefox', KID],
      ['allow', 'app:Firefox', KID], // allow wins in the same scope
      ['block', 'app:wget', KID, false], // disabled
    ]),
  });
  assert.deepEqual(engine.blockedApps(KID), ['curl']);
  assert.deepEqual(engine.blockedApps(DAD), ['Steam']);
  assert.equal(engine.decide(KID, 'curl').action, 'allow');
  assert.equal(engine.explain(KID, 'steam').matched.length, 0);
});
