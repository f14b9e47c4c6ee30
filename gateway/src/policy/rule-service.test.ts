import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rule } from '@packetpilot/protocol';
import { Catalog } from '../classify/catalog.js';
import { AppError } from '../errors.js';
import { PolicyEngine } from './engine.js';
import { normaliseDomainInput } from './rule-input.js';
import type { NewRule, RuleChanges, RuleRecord } from './rule-store.js';
import { RuleService, type RuleChange, type RuleRepo } from './rule-service.js';

const catalog = new Catalog({
  services: { youtube: 'youtube.com\n', tiktok: 'tiktok.com\n' },
  bypass: { 'encrypted-dns': 'dns.google\n' },
  taxonomy: {
    categories: [
      { id: 'video', name: 'Video', services: ['youtube'] },
      { id: 'social', name: 'Social', services: ['tiktok'] },
    ],
    services: { youtube: 'YouTube', tiktok: 'TikTok' },
  },
});

/** The store, in memory. */
class MemoryRules implements RuleRepo {
  readonly rows = new Map<number, RuleRecord>();
  #next = 1;
  clock = new Date('2026-11-25T10:00:00Z');
  async list() {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
  async get(id: number) {
    const r = this.rows.get(id);
    return r ? { ...r } : null;
  }
  async create(rule: NewRule) {
    const r: RuleRecord = {
      id: this.#next++,
      action: rule.action,
      target: rule.target,
      scope: rule.scope,
      enabled: rule.enabled ?? true,
      note: rule.note ?? null,
      hits: 0,
      lastHitAt: null,
      createdAt: this.clock,
      updatedAt: this.clock,
    };
    this.rows.set(r.id, r);
    return { ...r };
  }
  async update(id: number, changes: RuleChanges) {
    const r = this.rows.get(id);
    if (!r) return null;
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const next = { ...r, ...defined, updatedAt: this.clock };
    this.rows.set(id, next);
    return { ...next };
  }
  async delete(id: number) {
    const r = this.rows.get(id);
    this.rows.delete(id);
    return r ?? null;
  }
}

const KID = 1;

function setup() {
  const store = new MemoryRules();
  const engine = new PolicyEngine<Rule>({ catalog });
  const errors: unknown[] = [];
  const log = { error: (o: unknown) => errors.push(o) } as unknown as import('../log.js').Logger;
  const service = new RuleService({
    store,
    catalog,
    engine,
    devices: { exists: async (id) => id === KID },
    log,
  });
  return { store, engine, service, errors };
}

async function rejectsWith(p: Promise<unknown>, status: number, message: RegExp) {
  await assert.rejects(p, (err) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.status, status);
    assert.match(err.message, message);
    return true;
  });
}

test('create returns only after the change listeners finished; the engine already decides with the rule', async () => {
  const { service, engine, errors } = setup();
  const seen: RuleChange[] = [];
  let enforced = false;
  service.onChange(async (change) => {
    const want = change.after?.enabled ? 'block' : 'allow';
    assert.equal(
      engine.decide(KID, 'www.youtube.com').action,
      want,
      'the engine is refreshed before listeners',
    );
    await new Promise((r) => setTimeout(r, 30));
    seen.push(change);
    enforced = true;
  });
  const rule = await service.create({
    action: 'block',
    target: { type: 'service', id: 'youtube' },
    scope: { type: 'device', id: KID },
    note: '  homework first  ',
  });
  assert.ok(enforced);
  assert.deepEqual(seen, [{ before: null, after: rule }]);
  assert.equal(rule.note, 'homework first');
  assert.equal(rule.createdAt, '2026-11-25T10:00:00.000Z');
  assert.equal(rule.lastHitAt, null);

  const g = engine.generation;
  const updated = await service.update(rule.id, { enabled: false });
  assert.ok(engine.generation > g);
  assert.equal(engine.decide(KID, 'youtube.com').action, 'allow');
  assert.deepEqual(seen[1], { before: rule, after: updated });

  await service.delete(rule.id);
  assert.deepEqual(seen[2], { before: updated, after: null });
  await rejectsWith(service.get(rule.id), 404, /rule \d+ not found/);
  assert.deepEqual(errors, []);
});

test('a failing listener is logged; the change stands and the others still run', async () => {
  const { service, errors } = setup();
  let other = false;
  service.onChange(() => {
    throw new Error('nft is gone');
  });
  const off = service.onChange(async () => {
    other = true;
  });
  const rule = await service.create({
    action: 'block',
    target: { type: 'internet' },
    scope: { type: 'all' },
  });
  assert.ok(other);
  assert.equal(errors.length, 1);
  assert.equal((await service.get(rule.id)).id, rule.id);
  off();
  other = false;
  await service.update(rule.id, { note: 'x' });
  assert.equal(other, false, 'unsubscribed');
});

test('mutations are applied one at a time, in order', async () => {
  const { service } = setup();
  const order: string[] = [];
  service.onChange(async ({ after }) => {
    order.push(`start ${after?.note}`);
    await new Promise((r) => setTimeout(r, after?.note === 'first' ? 20 : 1));
    order.push(`end ${after?.note}`);
  });
  await Promise.all(
    ['first', 'second'].map((note) =>
      service.create({ action: 'block', target: { type: 'internet' }, scope: { type: 'all' }, note }),
    ),
  );
  assert.deepEqual(order, ['start first', 'end first', 'start second', 'end second']);
});

test('validation: unknown service or category, bad domains, missing devices and rules', async () => {
  const { service, store } = setup();
  const base = { action: 'block' as const, scope: { type: 'all' as const } };
  await rejectsWith(
    service.create({ ...base, target: { type: 'service', id: 'myspace' } }),
    400,
    /unknown service 'myspace'.*catalog\/services/,
  );
  await rejectsWith(
    service.create({ ...base, target: { type: 'category', id: 'sports' } }),
    400,
    /unknown category 'sports'.*catalog\/categories/,
  );
  await rejectsWith(
    service.create({ ...base, target: { type: 'domain', value: 'https://youtube.com/watch' } }),
    400,
    /not a valid domain name/,
  );
  await rejectsWith(
    service.create({ action: 'block', target: { type: 'internet' }, scope: { type: 'device', id: 77 } }),
    400,
    /scope.id: device 77 not found/,
  );
  assert.equal(store.rows.size, 0, 'nothing was written');
  await rejectsWith(service.update(5, { enabled: false }), 404, /rule 5 not found/);
  await rejectsWith(service.delete(5), 404, /rule 5 not found/);
  await rejectsWith(service.list({ deviceId: 77 }), 404, /device 77 not found/);
  await rejectsWith(service.explain(77, 'example.com'), 404, /device 77 not found/);
  await rejectsWith(service.explain(KID, 'not a name'), 400, /not a valid domain name/);

  const rule = await service.create({ ...base, target: { type: 'domain', value: ' WWW.Example.COM. ' } });
  assert.deepEqual(rule.target, { type: 'domain', value: 'www.example.com' });
  await rejectsWith(
    service.update(rule.id, { target: { type: 'service', id: 'nope' } }),
    400,
    /unknown service/,
  );
});

test('domain input normalisation', () => {
  const ok: Array<[string, string]> = [
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['*.example.com', 'example.com'],
    ['example', 'example'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
  ];
  for (const [input, want] of ok) assert.equal(normaliseDomainInput(input), want, input);
  for (const bad of [
    '',
    '.',
    '1.2.3.4',
    '::1',
    'exa mple.com',
    '-bad.com',
    'bad-.com',
    'a..b',
    '_dmarc.x.com',
    'x'.repeat(64) + '.com',
  ]) {
    assert.throws(() => normaliseDomainInput(bad), AppError, bad);
  }
});

test('list filters by device; explain names the deciding rule with current hit counts', async () => {
  const { service, store } = setup();
  const all = await service.create({
    action: 'block',
    target: { type: 'service', id: 'youtube' },
    scope: { type: 'all' },
  });
  const mine = await service.create({
    action: 'allow',
    target: { type: 'domain', value: 'music.youtube.com' },
    scope: { type: 'device', id: KID },
    enabled: false,
  });
  assert.deepEqual(
    (await service.list({ deviceId: KID })).map((r) => r.id),
    [all.id, mine.id],
  );
  assert.deepEqual(
    (await service.list()).map((r) => r.id),
    [all.id, mine.id],
  );
  store.rows.get(all.id)!.hits = 42;

  const e = await service.explain(KID, 'Music.YouTube.com');
  assert.equal(e.domain, 'music.youtube.com');
  assert.equal(e.decision, 'block');
  assert.equal(e.reason, 'rule');
  assert.equal(e.rule?.id, all.id);
  assert.equal(e.rule?.hits, 42);
  assert.deepEqual(
    e.matched.map((m) => m.rule.id),
    [all.id],
    'the disabled rule does not match',
  );
  assert.deepEqual(e.service, { id: 'youtube', name: 'YouTube' });
  assert.deepEqual(e.category, { id: 'video', name: 'Video' });

  const bypass = await service.explain(0, 'dns.google');
  assert.deepEqual(
    [bypass.decision, bypass.reason, bypass.rule, bypass.bypass],
    ['block', 'bypass', null, 'encrypted-dns'],
  );
  const plain = await service.explain(KID, '_dmarc.example.com');
  assert.deepEqual([plain.decision, plain.reason], ['allow', 'default']);
});
