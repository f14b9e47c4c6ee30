/**
 * The foundation's promise, end to end on the real kernel: bytes a device moves through the
 * gateway show up in the API exactly (within 0.5 %), quickly, and survive a kill -9.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { requireRootOrSkip } from '../testing/fixtures.js';
import {
  startLabGateway,
  until,
  type ApiClient,
  type GatewayProcess,
  type LabGateway,
} from '../testing/gateway-process.js';
import { LAB, labClient, execIn } from '../lab/index.js';
import type { Device, LiveRates, RemoteList } from '@packetpilot/protocol';
import { WebSocket } from 'ws';
import { openDatabase } from '../db/open.js';
import { UsageStore } from '../usage/store.js';

const skip = requireRootOrSkip();
const COUNTER_TABLE = 'ppt_client_truth';
let lab: LabGateway | undefined;
let dataDir = '';
let gateway: GatewayProcess;
let api: ApiClient;

/**
 * The independent truth: an nft counter on the client's own interface, counting what it sends to
 * and receives from anywhere off the LAN (IP-layer bytes, as the gateway counts).
 */
async function installTruthCounter(ns: string) {
  await execIn(ns, 'nft', ['delete', 'table', 'inet', COUNTER_TABLE]).catch(() => undefined);
  await execIn(ns, 'nft', ['-f', '-'], {
    input: `table inet ${COUNTER_TABLE} {
      counter up {}
      counter down {}
      chain out { type filter hook output priority 0; oifname "eth0" ip daddr != ${LAB.lan.v4Prefix} counter name up; oifname "eth0" ip6 daddr != { ${LAB.lan.v6Prefix}, fe80::/10, ff00::/8 } counter name up; }
      chain in { type filter hook input priority 0; iifname "eth0" ip saddr != ${LAB.lan.v4Prefix} counter name down; iifname "eth0" ip6 saddr != { ${LAB.lan.v6Prefix}, fe80::/10, ff00::/8 } counter name down; }
    }`,
  });
}

async function truth(ns: string): Promise<{ up: number; down: number }> {
  const out = JSON.parse(await execIn(ns, 'nft', ['-j', 'list', 'counters', 'table', 'inet', COUNTER_TABLE]));
  const get = (name: string) =>
    (out.nftables as Array<{ counter?: { name: string; bytes: number } }>).find(
      (o) => o.counter?.name === name,
    )!.counter!.bytes;
  return { up: get('up'), down: get('down') };
}

function iperf(
  ns: string,
  port: number,
  bytes: string,
  reverse: boolean,
  extra: string[] = [],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      'netns',
      'exec',
      ns,
      'iperf3',
      '-4',
      '-c',
      LAB.wan.server4,
      '-p',
      String(port),
      '-n',
      bytes,
      '-J',
      ...extra,
    ];
    if (reverse) args.push('-R');
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`iperf3 in ${ns} failed (${code}): ${out.slice(0, 500)}`)),
    );
  });
}

async function deviceByMac(mac: string): Promise<Device> {
  return until(
    `device ${mac} in the API`,
    async () => (await api.get<Device[]>('/devices')).find((d) => d.mac === mac),
    10_000,
  );
}

/** Waits until the API's numbers for the device match the client's own counter within 0.5 %. */
async function expectMatch(
  mac: string,
  base: { dev: Device; truth: { up: number; down: number } },
  ns: string,
  timeoutMs: number,
) {
  const t = await truth(ns);
  const wantTx = t.up - base.truth.up;
  const wantRx = t.down - base.truth.down;
  let last: Device | undefined;
  try {
    await until(
      `API bytes for ${mac} to match the client's counter (tx ${wantTx}, rx ${wantRx})`,
      async () => {
        last = await deviceByMac(mac);
        const tx = last.txBytes - base.dev.txBytes;
        const rx = last.rxBytes - base.dev.rxBytes;
        return Math.abs(tx - wantTx) <= wantTx * 0.005 && Math.abs(rx - wantRx) <= wantRx * 0.005;
      },
      timeoutMs,
      200,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; API shows tx ${last ? last.txBytes - base.dev.txBytes : '?'}, rx ${last ? last.rxBytes - base.dev.rxBytes : '?'}`,
    );
  }
  return { tx: wantTx, rx: wantRx };
}

before(async () => {
  if (skip) return;
  lab = await startLabGateway();
  ({ gateway, api, dataDir } = lab);
});

after(async () => {
  if (!skip) await lab?.close();
});

test(
  'uploads and downloads of two clients match their own interface counters within 0.5 %, within 5 s',
  { skip },
  async () => {
    const clients = [labClient(1), labClient(2)];
    const bases = [];
    for (const c of clients) {
      await installTruthCounter(c.ns);
      // A packet so the client is in the neighbour table and the API lists it.
      await execIn(c.ns, 'ping', ['-c', '1', '-W', '2', LAB.wan.server4]);
      bases.push({ dev: await deviceByMac(c.mac), truth: await truth(c.ns) });
    }
    // Both clients at once: one uploads then downloads on 5201, the other the reverse on 5202.
    await Promise.all([
      iperf(clients[0]!.ns, 5201, '40M', false).then(() => iperf(clients[0]!.ns, 5201, '60M', true)),
      iperf(clients[1]!.ns, 5202, '30M', true).then(() => iperf(clients[1]!.ns, 5202, '20M', false)),
    ]);
    const ended = Date.now();
    for (const [i, c] of clients.entries()) {
      const got = await expectMatch(c.mac, bases[i]!, c.ns, 5_000);
      assert.ok(
        got.tx > 10e6 && got.rx > 10e6,
        `transfers of ${c.ns} reached the counter: ${JSON.stringify(got)}`,
      );
    }
    assert.ok(Date.now() - ended <= 5_500, 'visible within 5 s');

    // The per-flow breakdown (conntrack) names the iperf3 server and agrees with the device total.
    for (const [i, c] of clients.entries()) {
      const dev = await deviceByMac(c.mac);
      const want = dev.rxBytes - bases[i]!.dev.rxBytes + (dev.txBytes - bases[i]!.dev.txBytes);
      await until(
        `conntrack breakdown of ${c.ns} to reach the nft total ${want}`,
        async () => {
          const list = await api.get<RemoteList>(
            `/devices/${dev.id}/remotes?from=${new Date(ended - 600_000).toISOString()}`,
          );
          const iperfBytes = list.remotes
            .filter(
              (r) =>
                r.remote === LAB.wan.server4 && r.proto === 'tcp' && (r.port === 5201 || r.port === 5202),
            )
            .reduce((a, r) => a + r.rxBytes + r.txBytes, 0);
          return Math.abs(iperfBytes - want) <= want * 0.01;
        },
        20_000,
        500,
      );
    }
    const health = (await (await fetch('http://192.168.77.1:8080/api/v1/health')).json()) as {
      warnings: Array<{ code: string }>;
      accounting: { wanGapPercent: number | null };
    };
    // the WAN reconciliation ran on these transfers and found the books balanced
    assert.ok(
      health.accounting.wanGapPercent !== null && health.accounting.wanGapPercent < 1,
      `WAN gap ${health.accounting.wanGapPercent}`,
    );
    assert.deepEqual(
      health.warnings.map((w) => w.code),
      [],
    );
  },
);

test(
  'kill -9 during a transfer: the transfer completes and after restart nothing is lost or counted twice',
  { skip },
  async () => {
    const c = labClient(3);
    await installTruthCounter(c.ns);
    await execIn(c.ns, 'ping', ['-c', '1', '-W', '2', LAB.wan.server4]);
    const base = { dev: await deviceByMac(c.mac), truth: await truth(c.ns) };
    // ~3 s at 200 Mbit/s, so the kill lands mid-transfer and some bytes were already committed.
    const transfer = iperf(c.ns, 5201, '75M', true, ['-b', '200M']);
    await until(
      'some bytes of the transfer in the API',
      async () => (await deviceByMac(c.mac)).rxBytes - base.dev.rxBytes > 5e6,
      10_000,
    );
    assert.equal(await gateway.stop('SIGKILL'), null);
    await transfer; // forwarding and counting go on without the daemon: the table stays
    await gateway.start();
    const got = await expectMatch(c.mac, base, c.ns, 10_000);
    assert.ok(got.rx > 75e6, `download counted: ${got.rx}`);
    // The per-flow ledger resumed from its persisted baselines too: the flow is not counted twice.
    const dev = await deviceByMac(c.mac);
    let seen = 0;
    await until(
      `conntrack breakdown of ${c.ns} to equal the nft download ${got.rx}`,
      async () => {
        const from = new Date(Date.now() - 600_000).toISOString();
        const list = await api.get<RemoteList>(`/devices/${dev.id}/remotes?from=${from}`);
        seen = list.remotes
          .filter((r) => r.remote === LAB.wan.server4 && r.port === 5201)
          .reduce((a, r) => a + r.rxBytes, 0);
        return Math.abs(seen - got.rx) <= got.rx * 0.01;
      },
      20_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; breakdown shows ${seen}`);
    });
  },
);

test('the live WebSocket shows a downloading device at its rate, a frame a second', { skip }, async () => {
  const c = labClient(1);
  const dev = await deviceByMac(c.mac);
  const ws = new WebSocket(`ws://${LAB.lan.gateway4}:${LAB.ports.gatewayUi}/api/v1/live`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  const frames: LiveRates[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as LiveRates));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    // 40 Mbit/s = 5 MB/s for 4 s
    const transfer = iperf(c.ns, 5201, '20M', true, ['-b', '40M']);
    const fast = await until(
      'a live frame with the download rate',
      async () => frames.find((f) => (f.devices.find((d) => d.deviceId === dev.id)?.rxBps ?? 0) > 3e6),
      10_000,
      100,
    );
    assert.ok(
      (fast.devices.find((d) => d.deviceId === dev.id)?.rxBps ?? 0) < 12e6,
      'rate is per second, not a total',
    );
    await transfer;
    const times = frames.map((f) => Date.parse(f.at));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    assert.ok(median >= 800 && median <= 1300, `frames every ${median} ms`);
  } finally {
    ws.close();
  }
  const unauthorised = new WebSocket(`ws://${LAB.lan.gateway4}:${LAB.ports.gatewayUi}/api/v1/live`);
  const status = await new Promise<number>((resolve) => {
    unauthorised.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    unauthorised.once('open', () => resolve(101));
  });
  assert.equal(status, 401);
});

test(
  'SIGTERM right after a transfer: the daemon exits 0 and the bytes are in the database',
  { skip },
  async () => {
    const c = labClient(2);
    const dev = await deviceByMac(c.mac);
    await installTruthCounter(c.ns);
    const before = await truth(c.ns);
    await iperf(c.ns, 5202, '8M', true);
    // no waiting: the periodic flush has most likely not run yet, so only the stop path can save these bytes
    assert.equal(await gateway.stop('SIGTERM'), 0);
    const after = await truth(c.ns);
    const database = await openDatabase({ dataDir });
    try {
      const stored = (await new UsageStore(database.db).totals({ kind: 0 })).find(
        (t) => t.deviceId === dev.id,
      );
      const want = dev.rxBytes + (after.down - before.down);
      assert.ok(stored, 'device has stored usage');
      assert.ok(
        Math.abs(stored.rxBytes - want) <= (after.down - before.down) * 0.005,
        `stored ${stored.rxBytes}, want ${want}`,
      );
    } finally {
      await database.close();
    }
  },
);
