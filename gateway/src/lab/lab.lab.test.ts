import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { systemRunner } from '../os/runner.js';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { execIn, reachable } from './context.js';
import { labDown, labStatus, labUp } from './lab.js';
import { pidFileProcesses } from './processes.js';
import { startBackgroundTraffic } from './servers.js';
import { addSimulatedDevices } from './sim.js';
import { LAB, labClients } from './topology.js';

const WAN4 = LAB.wan.server4;
const WAN6 = `[${LAB.wan.server6}]`;

/** Addresses and routes of every lab namespace and the host's lab veth: what a second `up` must not change. */
async function snapshot(namespaces: string[]): Promise<string> {
  const parts: string[] = [];
  for (const ns of namespaces) {
    for (const args of [['-br', 'link'], ['-br', 'addr'], ['route'], ['-6', 'route']]) {
      parts.push(`${ns} ${args.join(' ')}\n${await execIn(ns, 'ip', args)}`);
    }
  }
  parts.push((await systemRunner.run('ip', ['-br', 'addr', 'show', 'dev', LAB.host.ifName])).stdout);
  return parts.join('\n');
}

async function live(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function fetchSize(ns: string, url: string, extra: string[] = []): Promise<number> {
  const out = await execIn(ns, 'curl', [
    '-sf',
    '-m',
    '10',
    ...extra,
    '-o',
    '/dev/null',
    '-w',
    '%{size_download}',
    url,
  ]);
  return Number(out);
}

test(
  'lab: up, up again, traffic through the bare router, status, down, down again',
  {
    skip: requireRootOrSkip(),
    timeout: 120_000,
  },
  async (t) => {
    await labDown(); // a crashed earlier run must not decide the outcome
    t.after(() => labDown());

    const first = await labUp();
    assert.equal(first.up, true, JSON.stringify(first, null, 1));
    const namespaces = first.namespaces.map((n) => n.name);
    const before = await snapshot(namespaces);

    const second = await labUp();
    assert.equal(second.up, true);
    assert.deepEqual(
      second.servers.map((s) => s.pid),
      first.servers.map((s) => s.pid),
      'running servers are kept',
    );
    assert.equal(await snapshot(namespaces), before, 'a second up changes nothing');

    // Plain forwarding, no nft table: every client reaches the gateway and the "internet".
    for (const c of labClients()) {
      assert.ok(await reachable(c.ns, LAB.lan.gateway4), `${c.ns} → gateway v4`);
      assert.ok(await reachable(c.ns, LAB.lan.gateway6), `${c.ns} → gateway v6`);
      assert.equal(await fetchSize(c.ns, `http://${WAN4}/bytes/1000`), 1000, `${c.ns} v4 download`);
      assert.equal(await fetchSize(c.ns, `http://${WAN6}/bytes/1001`), 1001, `${c.ns} v6 download`);
    }
    assert.ok(await reachable(null, LAB.lan.gateway4), 'the host reaches the gateway over pp-host');

    // Two clients measure at once, one per iperf3 instance.
    const iperf = (ns: string, port: number) =>
      execIn(ns, 'iperf3', ['-c', WAN4, '-p', String(port), '-t', '1', '-J'], { timeoutMs: 20_000 });
    const runs = await Promise.all([iperf('pp-c1', 5201), iperf('pp-c2', 5202)]);
    for (const out of runs) {
      const report = JSON.parse(out) as { end: { sum_received: { bytes: number } } };
      assert.ok(report.end.sum_received.bytes > 0);
    }

    const sims = await addSimulatedDevices(2);
    for (const d of sims) {
      const size = await fetchSize(LAB.ns.sim, `http://${WAN4}/bytes/777`, ['--interface', d.name]);
      assert.equal(size, 777, `${d.name} speaks through the gateway`);
      const neigh = await execIn(LAB.ns.gw, 'ip', ['neigh', 'show', d.ipv4]);
      assert.match(neigh, new RegExp(d.mac), `the gateway sees ${d.name} by its own MAC`);
    }
    await startBackgroundTraffic();

    const status = await labStatus();
    assert.equal(status.up, true);
    assert.equal(status.clients, 3);
    assert.equal(status.simulatedDevices, 2);
    assert.equal(status.trafficGenerators, 3);
    assert.deepEqual(status.extraNamespaces, [LAB.ns.sim]);
    const pids = (await pidFileProcesses(LAB.runDir).list()).map((p) => p.pid);
    assert.equal(pids.length, 6);

    await labDown();
    const left = (await systemRunner.run('ip', ['netns', 'list'])).stdout;
    assert.doesNotMatch(left, /^pp-/m);
    assert.notEqual((await systemRunner.run('ip', ['link', 'show', 'dev', LAB.host.ifName])).code, 0);
    for (const pid of pids) assert.equal(await live(pid), false, `pid ${pid} stopped`);
    await assert.rejects(readFile(`${LAB.runDir}/http.pid`), /ENOENT/);

    const again = await labDown();
    assert.deepEqual(again.namespaces, []);
    const final = await labStatus();
    assert.equal(final.up, false);
    assert.ok(final.namespaces.every((n) => !n.present));
  },
);
