import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecked, systemRunner as runner } from '../os/runner.js';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { HealthRegistry } from '../health/registry.js';
import { createTriangle, deadline, startNode } from '../netfilter/lab-topology.js';
import { Nft } from '../netfilter/nft.js';
import { enableForwarding } from '../netfilter/sysctl.js';
import { buildGatewayTable } from '../netfilter/gateway-table.js';
import { ConntrackCli } from './conntrack.js';
import { FlowTracker } from './tracker.js';
import { startFlowAccounting } from './accounting.js';
import { checkConntrack } from './health.js';
import type { FlowDelta } from './flow.js';

const UP = 100_000;
const DOWN = 50_000;

const SERVERS = `
const net = require('node:net');
let n = 0;
const up = () => { if (++n === 2) console.log('ready'); };
net.createServer((c) => { c.on('data', () => {}); c.on('end', () => c.end(Buffer.alloc(${DOWN}))); }).listen(9100, up);
net.createServer((c) => { let got = 0; c.on('error', () => {}); c.on('data', (d) => { if (got < 5000 && (got += d.length) >= 5000) c.write('k'); }); }).listen(9101, up);`;

const HOLD = (wan: string): string => `
const c = require('node:net').connect(9101, '${wan}', () => c.write(Buffer.alloc(5000)));
c.once('data', () => { console.log('ready'); setInterval(() => c.write(Buffer.alloc(100)), 50); });
c.on('error', (e) => { console.log('dead ' + e.code); process.exit(0); });`;

const SIZED = (wan: string): string => `
const c = require('node:net').connect(9100, '${wan}', () => c.end(Buffer.alloc(${UP})));
let got = 0; c.on('data', (d) => (got += d.length));
c.on('close', () => { if (got !== ${DOWN}) { console.error('got ' + got); process.exit(1); } });`;

test(
  'conntrack: pre-existing flow adopted, known-size flow totals exact, deleteFlows kills a live flow',
  { skip: requireRootOrSkip() },
  async () => {
    const t = await createTriangle();
    const stops: Array<() => void> = [];
    try {
      await enableForwarding(runner, t.gw);
      // Per namespace, and only flows created afterwards get counters.
      await runChecked(
        runner,
        'sysctl',
        ['-w', 'net.netfilter.nf_conntrack_acct=1', 'net.netfilter.nf_conntrack_tcp_loose=0'],
        { netns: t.gw },
      );
      await new Nft(runner, { netns: t.gw }).apply(buildGatewayTable({ lan: t.lanIf, wan: t.wanIf }));
      // What a block does: once the entry is gone, mid-stream packets are invalid and get a reset.
      await runChecked(
        runner,
        'nft',
        [
          'table inet ppt_policy {\n chain f {\n type filter hook forward priority 0;\n ct state invalid meta l4proto tcp reject with tcp reset\n }\n}',
        ],
        { netns: t.gw },
      );
      assert.deepEqual(await checkConntrack(runner, t.gw), []);

      const servers = await startNode(t.wan, SERVERS);
      stops.push(servers.stop);
      const hold = await startNode(t.client, HOLD(t.wanIp)); // exists before the tracker starts
      stops.push(hold.stop);

      const ct = new ConntrackCli(runner, { netns: t.gw, restartDelayMs: 50 });
      const health = new HealthRegistry();
      const tracker = new FlowTracker({ health });
      const deltas: FlowDelta[] = [];
      const acct = startFlowAccounting({
        conntrack: ct,
        tracker,
        onDeltas: (d) => deltas.push(...d),
        dumpIntervalMs: 60_000,
      });
      stops.push(acct.stop);
      await acct.dumpNow();
      const held = deltas.find((d) => d.origDport === 9101);
      assert.ok(
        held && held.origBytes >= 5000,
        `first dump adopts the pre-existing flow: ${JSON.stringify(deltas)}`,
      );

      await runChecked(runner, 'node', ['-e', SIZED(t.wanIp)], { netns: t.client, timeoutMs: 20_000 });
      await acct.dumpNow();
      const live = (await ct.flows()).find((f) => f.orig.dport === 9100)!;
      assert.ok(live, 'sized flow still in the table (TIME_WAIT)');
      const mine = (): FlowDelta[] => deltas.filter((d) => d.origDport === 9100);
      const sum = (k: 'origBytes' | 'replyBytes'): number => mine().reduce((a, d) => a + d[k], 0);
      assert.equal(sum('origBytes'), live.orig.bytes);
      assert.equal(sum('replyBytes'), live.reply.bytes);
      // IP-layer bytes per skb: with GRO on the veths one skb carries many segments but one header,
      // so the bound is payload + at most one 52-byte header per 1448-byte segment (+ handshake).
      const most = (n: number): number => n + Math.ceil(n / 1448) * 52 + 10 * 60;
      assert.ok(live.orig.bytes! >= UP && live.orig.bytes! <= most(UP), `orig ${live.orig.bytes}`);
      assert.ok(live.reply.bytes! >= DOWN && live.reply.bytes! <= most(DOWN), `reply ${live.reply.bytes}`);

      // DESTROY (or, failing that, the next dump) closes it with no extra bytes.
      assert.equal(await ct.deleteFlows({ src: t.clientIp, proto: 'tcp', dport: 9100 }), 1);
      await deadline('sized flow closed', 5000, async () => {
        if (mine().some((d) => d.closed)) return true;
        await acct.dumpNow();
        return undefined;
      });
      assert.equal(sum('origBytes'), live.orig.bytes);
      assert.equal(sum('replyBytes'), live.reply.bytes);

      assert.equal(await ct.deleteFlows({ src: t.clientIp, proto: 'tcp', dport: 9101 }), 1);
      await deadline('held connection reset', 5000, async () =>
        hold.lines.some((l) => l.startsWith('dead')) ? true : undefined,
      );
      assert.deepEqual(health.list(), []);
    } finally {
      for (const stop of stops.reverse()) stop();
      await t.destroy();
    }
  },
);
