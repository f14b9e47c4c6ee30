import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { systemRunner } from '../os/runner.js';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { execIn, reachable } from './context.js';
import { labDown, labStatus, labUp } from './lab.js';
import { pidFileProcesses } from './processes.js';
import { startBackgroundTraffic } from './servers.js';
import { addSimulatedDevices } from './sim.js';
import { LAB, LAB_NAMES, clientResolvConfPath, labClients } from './topology.js';

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

    // The upstream DNS answers every lab name (A, AAAA, CNAME, 40 records) with the local TTL.
    const dig = (ns: string, ...args: string[]) => execIn(ns, 'dig', ['+time=2', '+tries=1', ...args]);
    for (const n of LAB_NAMES) {
      const a = await dig('pp-c1', '+short', `@${WAN4}`, n.name, 'A');
      const want = n.cname ? [`${n.cname}.`, ...LAB_NAMES.find((x) => x.name === n.cname)!.ipv4] : n.ipv4;
      assert.deepEqual(a.trim().split('\n').sort(), [...want].sort(), `${n.name} A`);
      if (n.ipv6.length) {
        const aaaa = await dig('pp-c2', '+short', `@${LAB.wan.server6}`, n.name, 'AAAA');
        assert.deepEqual(aaaa.trim().split('\n'), n.ipv6, `${n.name} AAAA`);
      }
    }
    assert.match(await dig('pp-c1', '+noall', '+answer', `@${WAN4}`, 'www.youtube.com'), /\s300\s+IN\s+A\s/);
    assert.match(await dig('pp-c1', `@${WAN4}`, 'nothing.example'), /status: NXDOMAIN/);
    assert.match(await dig('pp-c1', '+noedns', '+ignore', `@${WAN4}`, 'many.lab.test'), /flags: qr aa tc/);
    // Each service address answers HTTP from the gateway (on-link) and through it; the AnyIP range too.
    const many = LAB_NAMES.find((n) => n.name === 'many.lab.test')!.ipv4;
    for (const addr of [...LAB_NAMES.flatMap((n) => n.ipv4.slice(0, 1)), many.at(-1)!]) {
      assert.equal(await fetchSize(LAB.ns.gw, `http://${addr}/bytes/10`), 10, `gw → ${addr}`);
    }
    assert.equal(await fetchSize('pp-c3', `http://[${LAB_NAMES[0]!.ipv6[0]}]/bytes/11`), 11);
    // The DoT stand-in on the DNS server's addresses.
    const dot = `exec 3<>"/dev/tcp/$1/${LAB.ports.dot}" && head -n 1 <&3`;
    for (const addr of [LAB.wan.server4, LAB.wan.server6]) {
      assert.equal(await execIn('pp-c1', 'bash', ['-c', dot, 'dot', addr]), 'lab-dot\n', `DoT ${addr}`);
    }
    // Clients resolve through the gateway (`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf).
    assert.match(await execIn('pp-c2', 'cat', ['/etc/resolv.conf']), /^nameserver 192\.168\.77\.1$/m);

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
    assert.deepEqual(status.dns, {
      upstream: [LAB.wan.server4, LAB.wan.server6],
      names: LAB_NAMES.length,
      clientResolver: LAB.lan.gateway4,
      clientsUseGateway: true,
    });
    assert.deepEqual(
      status.servers.map((s) => [s.name, s.answering]),
      [
        ['http', true],
        ['dns', true],
        ['iperf3-5201', true],
        ['iperf3-5202', true],
      ],
    );
    assert.deepEqual(status.extraNamespaces, [LAB.ns.sim]);
    const pids = (await pidFileProcesses(LAB.runDir).list()).map((p) => p.pid);
    assert.equal(pids.length, 7);

    await labDown();
    const left = (await systemRunner.run('ip', ['netns', 'list'])).stdout;
    assert.doesNotMatch(left, /^pp-/m);
    assert.notEqual((await systemRunner.run('ip', ['link', 'show', 'dev', LAB.host.ifName])).code, 0);
    for (const pid of pids) assert.equal(await live(pid), false, `pid ${pid} stopped`);
    await assert.rejects(readFile(`${LAB.runDir}/http.pid`), /ENOENT/);
    await assert.rejects(access(clientResolvConfPath('pp-c1')), /ENOENT/);
    await assert.rejects(access('/etc/netns/pp-c1'), /ENOENT/);

    const again = await labDown();
    assert.deepEqual(again.namespaces, []);
    const final = await labStatus();
    assert.equal(final.up, false);
    assert.ok(final.namespaces.every((n) => !n.present));
  },
);
