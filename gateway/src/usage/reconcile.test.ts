import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthRegistry } from '../health/registry.js';
import { WanReconciler, parseLinkStats, ACCOUNTING_GAP, interfaceCounterReader } from './reconcile.js';
import { readTestdata } from '../testing/fixtures.js';

test('parses ip -j -s link statistics and rejects output without them', () => {
  const c = parseLinkStats(readTestdata(import.meta.url, 'ip-s-link.json'), 'wan0');
  assert.equal(c.rxBytes, 123456789);
  assert.equal(c.txPackets, 4321);
  assert.throws(() => parseLinkStats('[{"ifname":"wan0"}]', 'wan0'), /no stats64/);
  assert.throws(() => parseLinkStats('{', 'wan0'), /parse ip -j -s link for wan0/);
});

test('a gap above 1 % between the WAN interface and the accounting raises a warning; a match clears it', () => {
  const health = new HealthRegistry();
  const clock = { t: 0 };
  const r = new WanReconciler(health, () => (clock.t += 10_000));
  const link = (rx: number, rxp: number, tx: number, txp: number) => ({
    rxBytes: rx,
    rxPackets: rxp,
    txBytes: tx,
    txPackets: txp,
  });
  r.observe(link(0, 0, 0, 0), { wanInBytes: 0, wanOutBytes: 0 });
  // 10 MB in 10 000 packets: 140 000 bytes of Ethernet headers the accounting never sees
  const gap = r.observe(link(10_140_000, 10_000, 0, 0), { wanInBytes: 9_000_000, wanOutBytes: 0 });
  assert.ok(gap !== null && gap > 9 && gap < 11);
  assert.equal(health.list()[0]?.code, ACCOUNTING_GAP);
  const ok = r.observe(link(20_280_000, 20_000, 0, 0), { wanInBytes: 19_000_000, wanOutBytes: 0 });
  assert.equal(ok, 0);
  assert.deepEqual(health.list(), []);
});

test('small windows are noise and do not judge; a counter restart opens a new window', () => {
  const health = new HealthRegistry();
  const clock = { t: 0 };
  const r = new WanReconciler(health, () => (clock.t += 10_000));
  const z = { rxBytes: 5e9, rxPackets: 1e6, txBytes: 0, txPackets: 0 };
  r.observe(z, { wanInBytes: 0, wanOutBytes: 0 });
  assert.equal(r.observe({ ...z, rxBytes: 5e9 + 5000 }, { wanInBytes: 0, wanOutBytes: 0 }), null);
  assert.equal(
    r.observe({ rxBytes: 10, rxPackets: 1, txBytes: 0, txPackets: 0 }, { wanInBytes: 0, wanOutBytes: 0 }),
    null,
  );
  assert.deepEqual(health.list(), []);
});

test('a window shorter than 5 s is not judged, however many bytes it holds', () => {
  const health = new HealthRegistry();
  const clock = { t: 0 };
  const r = new WanReconciler(health, () => clock.t);
  r.observe({ rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 }, { wanInBytes: 0, wanOutBytes: 0 });
  clock.t = 2000;
  const link = { rxBytes: 50e6, rxPackets: 0, txBytes: 0, txPackets: 0 };
  assert.equal(r.observe(link, { wanInBytes: 49e6, wanOutBytes: 0 }), null);
  clock.t = 6000;
  assert.equal(r.observe(link, { wanInBytes: 49e6, wanOutBytes: 0 }), 2);
});

test('interface counters come from sysfs, and from ip where sysfs does not show the interface', async () => {
  const files: Record<string, string> = {
    '/sys/class/net/wan0/statistics/rx_bytes': '1000\n',
    '/sys/class/net/wan0/statistics/rx_packets': '10\n',
    '/sys/class/net/wan0/statistics/tx_bytes': '2000\n',
    '/sys/class/net/wan0/statistics/tx_packets': '20\n',
  };
  let ipCalls = 0;
  const runner = {
    run: async () => {
      ipCalls += 1;
      return { code: 0, stderr: '', stdout: readTestdata(import.meta.url, 'ip-s-link.json') };
    },
    spawn: () => {
      throw new Error('unused');
    },
  };
  const read = interfaceCounterReader(runner, 'wan0', async (p) => {
    const text = files[p];
    if (text === undefined) throw new Error(`ENOENT ${p}`);
    return text;
  });
  assert.deepEqual(await read(), { rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20 });
  assert.equal(ipCalls, 0);
  const missing = interfaceCounterReader(runner, 'wan9', async () => {
    throw new Error('ENOENT');
  });
  assert.equal((await missing()).rxBytes, 123456789);
  await missing();
  assert.equal(ipCalls, 2);
});
