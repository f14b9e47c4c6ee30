import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { forEachDatabase } from '../db/testing.js';
import { QueryLogStore } from './store.js';
import { QueryLogWriter } from './writer.js';
import type { DnsQueryRecord } from '../dns/types.js';
import { SettingsStore } from '../settings/store.js';
import { DnsSettingsService } from '../settings/dns-settings.js';

const log = pino({ level: 'silent' });
const at = Date.parse('2026-11-25T10:00:00Z');

function record(over: Partial<DnsQueryRecord>): DnsQueryRecord {
  return {
    at,
    client: '192.168.77.11',
    deviceId: 1,
    name: 'www.youtube.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: ['198.18.0.10'],
    decision: { action: 'allow', ruleId: null },
    latencyUs: 1500,
    cached: false,
    transport: 'udp',
    ...over,
  };
}

forEachDatabase('QueryLogStore', (target) => {
  test('the log filters by device, text and blocked, pages newest first, and says why blocked', async () => {
    const store = new QueryLogStore((await target.empty()).db);
    const writer = new QueryLogWriter(store, log);
    writer.push(record({}));
    writer.push(
      record({
        at: at + 1000,
        answers: ['0.0.0.0'],
        decision: { action: 'block', ruleId: 7, reason: 'rule' },
        cached: true,
      }),
    );
    writer.push(
      record({ at: at + 2000, deviceId: 2, client: 'fd77:77::12', name: 'files.lab.test', qtype: 'AAAA' }),
    );
    writer.push(
      record({
        at: at + 3000,
        name: 'dns.google',
        decision: { action: 'block', ruleId: null, reason: 'bypass' },
        answers: ['1.2.3.4', '1.2.3.5', '1.2.3.6', '1.2.3.7', '1.2.3.8'],
      }),
    );
    assert.equal(await writer.flush(), 4);

    const all = await store.list({ limit: 10 });
    assert.deepEqual(
      all.map((q) => q.name),
      ['dns.google', 'files.lab.test', 'www.youtube.com', 'www.youtube.com'],
    );
    assert.equal(all[0]!.answer.length, 4, 'answers are capped');
    assert.equal(all[1]!.client, 'fd77:77::12');
    const blocked = await store.list({ blocked: true, deviceId: 1, limit: 10 });
    assert.deepEqual(
      blocked.map((q) => [q.name, q.ruleId, q.blockReason, q.cached]),
      [
        ['dns.google', null, 'bypass', false],
        ['www.youtube.com', 7, 'rule', true],
      ],
    );
    assert.equal(blocked[1]!.latencyMs, 1.5);
    assert.deepEqual(
      (await store.list({ text: 'LAB', limit: 10 })).map((q) => q.name),
      ['files.lab.test'],
    );
    assert.equal((await store.list({ text: '%', limit: 10 })).length, 0, 'LIKE wildcards are literal');
    const page1 = await store.list({ limit: 2 });
    const page2 = await store.list({ limit: 2, before: page1[1]!.id });
    assert.deepEqual(
      page2.map((q) => q.name),
      ['www.youtube.com', 'www.youtube.com'],
    );

    const top = await store.topDomains({
      deviceId: 1,
      from: new Date(at),
      to: new Date(at + 60_000),
      limit: 5,
    });
    assert.deepEqual(top, [
      { name: 'www.youtube.com', queries: 2, blocked: 1 },
      { name: 'dns.google', queries: 1, blocked: 1 },
    ]);
    assert.equal(await store.prune(new Date(at + 1500)), 2);
  });

  test('DNS settings: --upstream until an admin changes them; bad values refused; changes reach listeners', async () => {
    const db = (await target.empty()).db;
    const settings = await DnsSettingsService.load(new SettingsStore(db), {
      cliUpstreams: ['198.18.0.1'],
      log,
    });
    assert.deepEqual(settings.get().upstreams, ['198.18.0.1']);
    const seen: string[][] = [];
    settings.onChange((s) => seen.push(s.upstreams));
    await assert.rejects(
      settings.update({ upstreams: ['not-an-ip'] }),
      /upstreams: not an address: "not-an-ip"/,
    );
    await settings.update({ upstreams: ['9.9.9.9:5353', '[2620:fe::fe]:53'], blockMode: 'nxdomain' });
    assert.deepEqual(seen, [['9.9.9.9:5353', '[2620:fe::fe]:53']]);
    const reloaded = await DnsSettingsService.load(new SettingsStore(db), {
      cliUpstreams: ['198.18.0.1'],
      log,
    });
    assert.equal(reloaded.get().blockMode, 'nxdomain');
    assert.deepEqual(reloaded.get().upstreams, ['9.9.9.9:5353', '[2620:fe::fe]:53']);
  });
});

test('a full query log buffer drops new entries and counts them instead of growing', async () => {
  const writer = new QueryLogWriter({ append: async () => undefined }, log, 2);
  writer.push(record({}));
  writer.push(record({}));
  writer.push(record({}));
  assert.equal(writer.buffered, 2);
  assert.equal(writer.dropped, 1);
});
