import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked, systemRunner as runner } from '../os/runner.js';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { createTriangle, startNode } from './lab-topology.js';
import { Nft } from './nft.js';
import type { NftSnapshot } from './parse.js';
import { enableForwarding } from './sysctl.js';
import { buildGatewayTable, GATEWAY_TABLE } from './gateway-table.js';

const ECHO_REPLY = 300;
const SERVER = `
const dgram = require('node:dgram');
let n = 0;
for (const type of ['udp4', 'udp6']) {
  const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
  s.on('message', (m, r) => { console.log('from ' + r.address); s.send(Buffer.alloc(${ECHO_REPLY}), r.port, r.address); });
  s.bind(9000, () => { if (++n === 2) console.log('ready'); });
}`;

/** Sends each datagram and waits for its echo before the next, so nothing is in flight at the end. */
const client = (targets: Array<[string, number]>): string => `
const dgram = require('node:dgram');
(async () => {
  for (const [addr, size] of ${JSON.stringify(targets)}) {
    const s = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    await new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error('no echo from ' + addr)), 3000);
      s.on('message', () => { clearTimeout(t); s.close(); ok(); });
      s.send(Buffer.alloc(size), 9000, addr);
    });
  }
})().catch((e) => { console.error(e.message); process.exit(1); });`;

const PROBE = (ifname: string): string => `table inet ppt_probe {
  counter up4 {}
  counter up6 {}
  counter down4 {}
  counter down6 {}
  chain out { type filter hook output priority 0; oifname "${ifname}" ip daddr 198.19.0.0/24 counter name "up4"; oifname "${ifname}" ip6 daddr fd00:2::/64 counter name "up6"; }
  chain in { type filter hook input priority 0; iifname "${ifname}" ip saddr 198.19.0.0/24 counter name "down4"; iifname "${ifname}" ip6 saddr fd00:2::/64 counter name "down6"; }
}`;

const OTHER = `table inet other {
  set probe { type ether_addr; flags dynamic; }
  counter seen {}
  chain f { type filter hook forward priority 5; oifname "lan0" update @probe { ether daddr } counter name "seen"; }
}`;

test(
  'gateway table counts exact IP-layer bytes per device, survives re-apply, leaves other tables alone',
  { skip: requireRootOrSkip() },
  async () => {
    const t = await createTriangle();
    let server: Awaited<ReturnType<typeof startNode>> | undefined;
    try {
      await enableForwarding(runner, t.gw);
      await runChecked(runner, 'nft', [PROBE(t.clientIf)], { netns: t.client });
      await runChecked(runner, 'nft', [OTHER], { netns: t.gw });
      const gw = new Nft(runner, { netns: t.gw });
      const spec = buildGatewayTable({ lan: t.lanIf, wan: t.wanIf });
      await gw.apply(spec);

      server = await startNode(t.wan, SERVER);
      const v4 = Array.from({ length: 20 }, (_, i): [string, number] => [t.wanIp, 1000 + i * 7]);
      const v6: Array<[string, number]> = [
        [t.wanIp6, 700],
        [t.wanIp6, 1200],
      ];
      await runChecked(runner, 'node', ['-e', client([...v4, ...v6])], {
        netns: t.client,
        timeoutMs: 20_000,
      });

      const probe = (await new Nft(runner, { netns: t.client }).snapshot('inet', 'ppt_probe'))!.counters;
      const snap = (await gw.snapshot('inet', GATEWAY_TABLE))!;
      const sum = (xs: Array<[string, number]>, hdr: number): number =>
        xs.reduce((a, [, n]) => a + n + hdr, 0);
      // IP-layer bytes: UDP payload + 8 (UDP) + 20 (IPv4) / 40 (IPv6); no link-layer header.
      assert.equal(probe.up4!.bytes, sum(v4, 28));
      assert.equal(probe.up6!.bytes, sum(v6, 48));
      const tx = snap.sets.dev_tx!.find((e) => e.key === t.clientMac);
      assert.ok(tx, `ether saddr of the client in the forward hook: ${JSON.stringify(snap.sets.dev_tx)}`);
      assert.equal(tx.bytes, probe.up4!.bytes + probe.up6!.bytes);
      assert.equal(tx.packets, v4.length + v6.length);
      assert.deepEqual(snap.sets.dev_rx4, [
        { key: t.clientIp, packets: v4.length, bytes: probe.down4!.bytes },
      ]);
      assert.deepEqual(snap.sets.dev_rx6, [
        { key: t.clientIp6, packets: v6.length, bytes: probe.down6!.bytes },
      ]);
      assert.equal(probe.down4!.bytes, v4.length * (ECHO_REPLY + 28));
      assert.equal(snap.counters.fwd_up!.bytes, tx.bytes);
      assert.equal(snap.counters.fwd_down!.bytes, probe.down4!.bytes + probe.down6!.bytes);
      assert.equal(snap.counters.lan_lan!.bytes, 0);

      // Masquerade: the wan side only ever saw the gateway's WAN address for IPv4.
      const seen4 = new Set(server.lines.filter((l) => !l.includes('fd00')).map((l) => l.slice(5)));
      assert.deepEqual([...seen4], [t.gwWanIp]);

      // In the forward hook `ether daddr` is the frame as it arrived (the gw's WAN NIC), not the device.
      const other = new Nft(runner, { netns: t.gw });
      const probeSet = (await other.snapshot('inet', 'other'))!.sets.probe!.map((e) => e.key);
      assert.deepEqual(probeSet, [t.gwWanMac]);

      const otherBefore = await runChecked(runner, 'nft', ['list', 'table', 'inet', 'other'], {
        netns: t.gw,
      });
      await gw.apply(spec);
      // The gateway's own traffic (IPv6 neighbour discovery) may move local_* and wan_local_* between
      // the two reads; the forwarded counters of this quiet lab may not.
      const forwarded = (s: NftSnapshot) => ({
        sets: { dev_tx: s.sets.dev_tx, dev_rx4: s.sets.dev_rx4, dev_rx6: s.sets.dev_rx6 },
        counters: { fwd_up: s.counters.fwd_up, fwd_down: s.counters.fwd_down, lan_lan: s.counters.lan_lan },
      });
      assert.deepEqual(
        forwarded((await gw.snapshot('inet', GATEWAY_TABLE))!),
        forwarded(snap),
        'second apply keeps counters and elements',
      );
      const otherAfter = await runChecked(runner, 'nft', ['list', 'table', 'inet', 'other'], { netns: t.gw });
      assert.equal(otherAfter, otherBefore);
    } finally {
      server?.stop();
      await t.destroy();
    }
  },
);
