import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageBreakdowns, type DomainClassifier } from './breakdown.js';
import type { DomainUsage } from './flow-store.js';

const catalog: DomainClassifier = {
  classify(name) {
    if (name.endsWith('youtube.com')) {
      return { service: { id: 'youtube', name: 'YouTube' }, category: { id: 'video', name: 'Video' } };
    }
    if (name.endsWith('netflix.com')) {
      return { service: { id: 'netflix', name: 'Netflix' }, category: { id: 'video', name: 'Video' } };
    }
    return { service: null, category: null };
  },
};

const rows: DomainUsage[] = [
  { domain: 'www.youtube.com', app: '', rxBytes: 1000, txBytes: 10, flows: 1 },
  { domain: 'i.ytimg.youtube.com', app: '', rxBytes: 500, txBytes: 5, flows: 2 },
  { domain: 'www.netflix.com', app: '', rxBytes: 3000, txBytes: 30, flows: 1 },
  { domain: 'files.lab.test', app: '', rxBytes: 7, txBytes: 7, flows: 1 },
  { domain: '', app: '', rxBytes: 200, txBytes: 20, flows: 4 },
];

function breakdowns() {
  return new UsageBreakdowns({ byDomain: async () => rows }, catalog);
}
const q = { deviceId: 1, from: new Date('2026-11-25T10:30:00Z'), to: new Date('2026-11-25T12:00:00Z') };

test('by service: each service sums its domains; no evidence is "unknown", other names "other"', async () => {
  const b = await breakdowns().breakdown({ ...q, groupBy: 'service' });
  assert.deepEqual(
    b.groups.map((g) => [g.id, g.rxBytes, g.txBytes, g.flows, g.category]),
    [
      ['netflix', 3000, 30, 1, 'video'],
      ['youtube', 1500, 15, 3, 'video'],
      ['unknown', 200, 20, 4, null],
      ['other', 7, 7, 1, null],
    ],
  );
  assert.equal(b.rxBytes, 4707);
  assert.equal(b.from, '2026-11-25T10:00:00.000Z', 'flow usage is hourly: the range starts on the hour');
});

test('by category and by domain', async () => {
  const c = await breakdowns().breakdown({ ...q, groupBy: 'category' });
  assert.deepEqual(
    c.groups.map((g) => [g.id, g.rxBytes]),
    [
      ['video', 4500],
      ['unknown', 200],
      ['other', 7],
    ],
  );
  const d = await breakdowns().breakdown({ ...q, groupBy: 'domain' });
  assert.equal(d.groups.length, 5);
  assert.deepEqual(
    d.groups.find((g) => g.id === 'files.lab.test'),
    {
      id: 'files.lab.test',
      name: 'files.lab.test',
      category: null,
      rxBytes: 7,
      txBytes: 7,
      flows: 1,
    },
  );
});

test('by app: named apps, and "unattributed" is the rest of the device’s exact total', async () => {
  const flows = {
    byDomain: async () => [
      { domain: 'www.youtube.com', app: 'firefox', rxBytes: 1000, txBytes: 100, flows: 1 },
      { domain: '', app: 'curl', rxBytes: 500, txBytes: 50, flows: 2 },
      { domain: 'files.lab.test', app: 'curl', rxBytes: 250, txBytes: 25, flows: 1 },
      { domain: '', app: '', rxBytes: 40, txBytes: 4, flows: 3 },
    ],
  };
  const b = await new UsageBreakdowns(flows, catalog, {
    total: async () => ({ rxBytes: 2000, txBytes: 200 }),
  }).breakdown({ ...q, groupBy: 'app' });
  assert.deepEqual(
    b.groups.map((g) => [g.id, g.rxBytes, g.txBytes]),
    [
      ['firefox', 1000, 100],
      ['curl', 750, 75],
      ['unattributed', 250, 25],
    ],
  );
  assert.equal(b.rxBytes, 2000, 'the groups add up to the device total');
  assert.equal(
    b.groups.reduce((a, g) => a + g.txBytes, 0),
    b.txBytes,
  );
});

test('one app’s DNS names: groupBy=domain with app', async () => {
  const flows = {
    byDomain: async () => [
      { domain: 'www.youtube.com', app: 'firefox', rxBytes: 1000, txBytes: 100, flows: 1 },
      { domain: 'www.netflix.com', app: 'firefox', rxBytes: 10, txBytes: 1, flows: 1 },
      { domain: 'files.lab.test', app: 'curl', rxBytes: 250, txBytes: 25, flows: 1 },
    ],
  };
  const b = await new UsageBreakdowns(flows, catalog).breakdown({ ...q, groupBy: 'domain', app: 'firefox' });
  assert.deepEqual(
    b.groups.map((g) => [g.id, g.rxBytes]),
    [
      ['www.youtube.com', 1000],
      ['www.netflix.com', 10],
    ],
  );
  assert.equal(b.rxBytes, 1010);
});

test('by app on a phone: its reported Wi-Fi bytes per package, mobile data apart', async () => {
  const b = await new UsageBreakdowns(
    { byDomain: async () => [{ domain: '', app: '', rxBytes: 900, txBytes: 90, flows: 2 }] },
    catalog,
    { total: async () => ({ rxBytes: 1000, txBytes: 100 }) },
    {
      byApp: async () => [
        {
          package: 'com.google.android.youtube',
          label: 'YouTube',
          wifiRxBytes: 700,
          wifiTxBytes: 70,
          mobileRxBytes: 5000,
          mobileTxBytes: 50,
        },
        {
          package: 'com.whatsapp',
          label: '',
          wifiRxBytes: 0,
          wifiTxBytes: 0,
          mobileRxBytes: 9,
          mobileTxBytes: 1,
        },
      ],
    },
  ).breakdown({ ...q, groupBy: 'app' });
  assert.deepEqual(
    b.groups.map((g) => [g.id, g.name, g.rxBytes, g.txBytes]),
    [
      ['com.google.android.youtube', 'YouTube', 700, 70],
      ['unattributed', 'Unattributed', 300, 30],
    ],
  );
  assert.deepEqual(b.mobile, {
    rxBytes: 5009,
    txBytes: 51,
    apps: [
      { id: 'com.google.android.youtube', name: 'YouTube', rxBytes: 5000, txBytes: 50 },
      { id: 'com.whatsapp', name: 'com.whatsapp', rxBytes: 9, txBytes: 1 },
    ],
  });
});
