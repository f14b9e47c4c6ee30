import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner, RunOptions, RunResult } from '../os/runner.js';
import type { LabProcesses, TrackedProcess } from './processes.js';
import { labDown, labUp, planLabUp } from './lab.js';
import { planSimDevices, simDevice } from './sim.js';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAB, LAB_NAMES, dnsmasqArgs, labClients, labHostsFile, labTopology } from './topology.js';
import { waitFor } from './wait.js';

/** A kernel stand-in that remembers namespaces and links, so a second `up` sees the first one's work. */
class FakeKernel implements CommandRunner {
  readonly calls: string[] = [];
  readonly links = new Map<string, Set<string>>([['', new Set(['lo', 'eth0'])]]);
  constructor(readonly pids: Record<string, number[]> = {}) {}

  async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const line = `${opts.netns ? `[${opts.netns}] ` : ''}${cmd} ${args.join(' ')}`;
    this.calls.push(line);
    const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', code: 0 });
    if (cmd === 'ss') return ok('LISTEN 0 5 198.18.0.1:853 *:*\nLISTEN 0 5 [2001:db8:77::1]:853 [::]:*\n');
    if (cmd === 'dig') return ok(args.includes('AAAA') ? '2001:db8:77::1\n' : '198.18.0.1\n');
    if (cmd === 'cat') return ok(args.map(() => 'nameserver 192.168.77.1\n').join(''));
    if (cmd !== 'ip') return ok('');
    let a = [...args];
    let ns = '';
    if (a[0] === '-n') [ns, a] = [a[1] ?? '', a.slice(2)];
    const j = a.join(' ');
    if (j === 'netns list') return ok([...this.links.keys()].filter(Boolean).join('\n'));
    if (a[0] === 'netns' && a[1] === 'add') this.links.set(a[2] ?? '', new Set(['lo']));
    if (a[0] === 'netns' && a[1] === 'del') this.links.delete(a[2] ?? '');
    if (a[0] === 'netns' && a[1] === 'pids') return ok((this.pids[a[2] ?? ''] ?? []).join('\n'));
    if (j === '-j link show') {
      const names = this.links.get(ns);
      if (!names) return { stdout: '', stderr: 'no such netns', code: 1 };
      return ok(JSON.stringify([...names].map((ifname) => ({ ifname, operstate: 'UP' }))));
    }
    if (a[0] === 'link' && a[1] === 'add') {
      this.links.get(ns)?.add(a[2] ?? '');
      const peer = a.indexOf('peer');
      const peerNs = a.indexOf('netns', peer);
      if (peer > 0) this.links.get(peerNs > 0 ? (a[peerNs + 1] ?? '') : ns)?.add(a[peer + 2] ?? '');
    }
    return ok();
  }
  spawn(): never {
    throw new Error('not used');
  }
}

class FakeProcesses implements LabProcesses {
  readonly procs = new Map<string, TrackedProcess>();
  readonly killed: number[] = [];
  cleared = false;
  #next = 100;
  async start(name: string, ns: string, cmd: string) {
    const pid = this.#next++;
    this.procs.set(name, { name, pid, ns, cmd, ours: true, alive: true });
    return pid;
  }
  async get(name: string) {
    return this.procs.get(name);
  }
  async list() {
    return [...this.procs.values()];
  }
  async stop(name: string) {
    this.procs.delete(name);
  }
  async kill(pids: readonly number[]) {
    this.killed.push(...pids);
  }
  async logTail() {
    return '';
  }
  async clear() {
    this.cleared = true;
  }
}

const plan = (p: ReturnType<typeof planLabUp>) =>
  p.map((c) => `${c.netns ? `[${c.netns}] ` : ''}${c.cmd} ${c.args.join(' ')}`);

test('plan from nothing builds every namespace, link, address and route; no nft, no host routes', () => {
  const empty = { namespaces: new Set<string>(), links: new Map<string, Set<string>>() };
  const lines = plan(planLabUp(labTopology(3), empty));
  for (const ns of ['pp-wan', 'pp-gw', 'pp-lan', 'pp-c1', 'pp-c2', 'pp-c3']) {
    assert.ok(lines.includes(`ip netns add ${ns}`), ns);
  }
  assert.ok(lines.includes('ip -n pp-lan link add br0 type bridge'));
  assert.ok(
    lines.includes('ip -n pp-gw link add lan0 address 02:50:50:00:01:01 type veth peer name gw netns pp-lan'),
  );
  assert.ok(
    lines.includes('ip -n pp-c2 link add eth0 address 02:50:50:00:00:02 type veth peer name c2 netns pp-lan'),
  );
  assert.ok(
    lines.includes('ip link add pp-host address 02:50:50:00:00:fa type veth peer name host netns pp-lan'),
  );
  assert.ok(lines.includes('ip -n pp-lan link set c3 master br0 up'));
  assert.ok(lines.includes('ip -n pp-c1 addr replace 192.168.77.11/24 dev eth0'));
  assert.ok(lines.includes('ip -n pp-c1 -6 addr replace fd77:77::11/64 dev eth0 nodad'));
  assert.ok(lines.includes('ip -n pp-c3 -6 route replace default via fd77:77::1 dev eth0'));
  assert.ok(lines.includes('ip -n pp-wan route replace 192.168.77.0/24 via 198.18.0.2 dev eth0'));
  assert.ok(lines.includes('ip -n pp-wan -6 route replace fd77:77::/64 via 2001:db8:77::2 dev eth0'));
  assert.ok(lines.includes('[pp-gw] sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1'));
  assert.ok(lines.includes('ip addr replace 192.168.77.250/24 dev pp-host'));
  assert.ok(!lines.some((l) => l.includes('nft')), 'the daemon owns nftables');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('ip route') || l.startsWith('ip -6 route')),
    [],
    'the host gets only its connected LAN route',
  );
  // Links are created only after their namespaces exist.
  const lastNsAdd = lines.findLastIndex((l) => l.startsWith('ip netns add'));
  assert.ok(lastNsAdd < lines.findIndex((l) => l.includes('link add')));
});

test('up twice: the second plan creates nothing; labUp starts each server once', async () => {
  const kernel = new FakeKernel();
  const processes = new FakeProcesses();
  const first = await labUp({ runner: kernel, processes });
  assert.equal(first.up, true);
  assert.deepEqual([...processes.procs.keys()], ['http', 'dns', 'iperf3-5201', 'iperf3-5202']);
  assert.equal(first.dns.clientsUseGateway, true);
  assert.deepEqual(first.dns.upstream, ['198.18.0.1', '2001:db8:77::1']);
  const http = processes.procs.get('http');
  assert.match(http?.cmd ?? '', /node/);
  kernel.calls.length = 0;
  const second = await labUp({ runner: kernel, processes });
  assert.equal(second.up, true);
  assert.deepEqual(
    kernel.calls.filter((c) => / (netns add|link add) /.test(c)),
    [],
  );
  assert.equal(processes.procs.get('http')?.pid, http?.pid, 'a running server is kept');
});

test('up repairs a half-built lab: only the missing client and its link are created', async () => {
  const kernel = new FakeKernel();
  await labUp({ runner: kernel, processes: new FakeProcesses() });
  kernel.links.delete('pp-c2');
  kernel.links.get('pp-lan')?.delete('c2');
  kernel.calls.length = 0;
  await labUp({ runner: kernel, processes: new FakeProcesses() });
  assert.deepEqual(
    kernel.calls.filter((c) => / (netns add|link add) /.test(c)),
    [
      'ip netns add pp-c2',
      'ip -n pp-c2 link add eth0 address 02:50:50:00:00:02 type veth peer name c2 netns pp-lan',
    ],
  );
});

test('a veth end whose peer vanished with a pinned namespace is deleted and recreated', () => {
  const topo = labTopology(1);
  const links = new Map([
    ['', new Set(['lo'])],
    ['pp-gw', new Set(['lo', 'wan0', 'lan0'])],
    ['pp-wan', new Set(['lo'])],
    ['pp-lan', new Set(['lo', 'br0', 'gw'])],
  ]);
  const lines = plan(planLabUp(topo, { namespaces: new Set(['pp-gw', 'pp-wan', 'pp-lan']), links }));
  const created = lines.filter((l) => / link (add|del) /.test(l));
  assert.deepEqual(created, [
    'ip -n pp-gw link del wan0',
    'ip -n pp-gw link add wan0 address 02:50:50:00:02:02 type veth peer name eth0 address 02:50:50:00:02:01 netns pp-wan',
    'ip -n pp-c1 link add eth0 address 02:50:50:00:00:01 type veth peer name c1 netns pp-lan',
    'ip link add pp-host address 02:50:50:00:00:fa type veth peer name host netns pp-lan',
  ]);
});

test('down stops tracked processes, kills leftovers, deletes only pp-* namespaces', async () => {
  const kernel = new FakeKernel({ 'pp-gw': [4242] });
  kernel.links.set('pp-gw', new Set());
  kernel.links.set('pp-c7', new Set());
  kernel.links.set('ppt-other', new Set());
  kernel.links.set('unrelated', new Set());
  const processes = new FakeProcesses();
  await processes.start('http', 'pp-wan', 'node');
  const report = await labDown({ runner: kernel, processes });
  assert.deepEqual(report.stoppedProcesses, ['http']);
  assert.deepEqual(processes.killed, [4242]);
  assert.deepEqual(report.namespaces.sort(), ['pp-c7', 'pp-gw']);
  assert.deepEqual(
    kernel.calls.filter((c) => c.includes('netns del')),
    ['ip netns del pp-gw', 'ip netns del pp-c7'],
  );
  assert.ok(processes.cleared);
  assert.ok(
    kernel.calls.includes('find /etc/netns -mindepth 1 -maxdepth 1 -name pp-* -exec rm -rf -- {} +'),
    'client resolv.conf files go too',
  );
  const again = await labDown({ runner: kernel, processes });
  assert.deepEqual(again.namespaces, []);
});

test('client and simulated-device tables: unique MACs and addresses inside the LAN', () => {
  const clients = labClients(LAB.maxClients);
  const sims = Array.from({ length: LAB.maxSimDevices }, (_, i) => simDevice(i + 1));
  const macs = [...clients.map((c) => c.mac), ...sims.map((s) => s.mac), LAB.gw.lanMac, LAB.host.mac];
  const v4 = [...clients.map((c) => c.ipv4), ...sims.map((s) => s.ipv4), LAB.lan.gateway4, LAB.host.ipv4];
  assert.equal(new Set(macs).size, macs.length);
  assert.equal(new Set(v4).size, v4.length);
  for (const mac of macs) assert.match(mac, /^02:50:50(:[0-9a-f]{2}){3}$/);
  for (const a of v4) assert.match(a, /^192\.168\.77\.(\d+)$/);
  assert.equal(labClients(3)[2]?.ipv6, 'fd77:77::13');
  assert.throws(() => simDevice(LAB.maxSimDevices + 1), RangeError);
  assert.throws(() => labClients(LAB.maxClients + 1), RangeError);
});

test('simulated devices: one batch per family, per-device table and rules, bridged ports', () => {
  const steps = planSimDevices([simDevice(1), simDevice(2)], true);
  assert.equal(steps[0]?.args.join(' '), 'netns add pp-sim');
  const v4 = steps.find((s) => s.args.join(' ') === '-n pp-sim -batch -')?.input ?? '';
  assert.match(v4, /^link add sim2 address 02:50:50:01:00:02 type veth peer name s2 netns pp-lan$/m);
  assert.match(v4, /^route replace default via 192\.168\.77\.1 dev sim2 table 1002$/m);
  assert.match(v4, /^rule add from 192\.168\.77\.101 lookup 1002 pref 1002$/m);
  const v6 = steps.find((s) => s.args.join(' ') === '-n pp-sim -6 -batch -')?.input ?? '';
  assert.match(v6, /^addr add fd77:77::101\/64 dev sim2 nodad noprefixroute$/m);
  const ports = steps.find((s) => s.args.join(' ') === '-n pp-lan -batch -')?.input ?? '';
  assert.equal(ports, 'link set s1 master br0 up\nlink set s2 master br0 up\n');
});

test('waitFor resolves once the condition holds and names what timed out', async () => {
  let n = 0;
  await waitFor(() => ++n >= 3, { timeoutMs: 1000, intervalMs: 1 });
  assert.equal(n, 3);
  await assert.rejects(
    waitFor(
      () => {
        throw new Error('port closed');
      },
      { timeoutMs: 30, intervalMs: 5, what: 'the moon' },
    ),
    /timed out after 30 ms waiting for the moon: port closed/,
  );
});

test('plan: service addresses on pp-wan, an AnyIP range, the DNS host table and client resolv.conf', () => {
  const empty = { namespaces: new Set<string>(), links: new Map<string, Set<string>>() };
  const steps = planLabUp(labTopology(2), empty);
  const lines = plan(steps);
  for (const a of ['198.18.0.10/24', '198.18.0.14/24']) {
    assert.ok(lines.includes(`ip -n pp-wan addr replace ${a} dev eth0`), a);
  }
  assert.ok(lines.includes('ip -n pp-wan -6 addr replace 2001:db8:77::10/64 dev eth0 nodad'));
  assert.ok(!lines.some((l) => l.includes('198.18.0.130/')), 'the 40-address name answers through AnyIP');
  assert.ok(lines.includes('ip -n pp-wan route replace local 198.18.0.128/26 dev lo'));
  const tee = (path: string) => steps.find((s) => s.cmd === 'tee' && s.args[0] === path);
  assert.equal(tee('/etc/netns/pp-c2/resolv.conf')?.input?.split('\n')[0], 'nameserver 192.168.77.1');
  assert.equal(tee('/run/packetpilot-lab/dns-hosts')?.input, labHostsFile());
  const mkdir = lines.indexOf('mkdir -p /etc/netns/pp-c1');
  assert.ok(mkdir >= 0 && mkdir < lines.indexOf('tee /etc/netns/pp-c1/resolv.conf'));
  // Files are written after the namespaces exist and before servers start (labUp starts them after the plan).
  assert.ok(lines.indexOf('ip netns add pp-c1') < mkdir);
});

test('LAB_NAMES: unique per-service addresses, the CNAME and the 40-record name', () => {
  const hosts = labHostsFile();
  assert.match(hosts, /^198\.18\.0\.10 www\.youtube\.com$/m);
  assert.match(hosts, /^2001:db8:77::10 www\.youtube\.com$/m);
  assert.equal(hosts.split('\n').filter((l) => l.endsWith(' many.lab.test')).length, 40);
  assert.doesNotMatch(hosts, /cdn\.lab\.test/);
  const services = LAB_NAMES.filter((n) => n.catalog);
  const v4 = services.flatMap((n) => n.ipv4);
  assert.equal(new Set(v4).size, v4.length, 'one address per service');
  assert.ok(!v4.includes(LAB.wan.server4) && !v4.includes(LAB.wan.gw4));
  const args = dnsmasqArgs();
  assert.ok(args.includes('--cname=cdn.lab.test,files.lab.test,300'));
  assert.ok(args.includes('--local-ttl=300'));
  assert.ok(args.includes('--no-resolv') && args.includes('--conf-file=/dev/null'));
  assert.ok(!args.some((a) => a.startsWith('--log-queries')));
});

test('LAB_NAMES: every catalogue id is one the shipped catalogue maps the name to', (t) => {
  const dir = fileURLToPath(new URL('../../catalog/', import.meta.url));
  if (!existsSync(`${dir}services`)) return t.skip('gateway/catalog is not there');
  for (const n of LAB_NAMES.filter((x) => x.catalog)) {
    const [sub, file] = n.catalog!.startsWith('bypass:')
      ? ['bypass', n.catalog!.slice('bypass:'.length)]
      : ['services', n.catalog!];
    const domains = readFileSync(`${dir}${sub}/${file}`, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const labels = n.name.split('.');
    const suffixes = labels.map((_, i) => labels.slice(i).join('.'));
    assert.ok(
      suffixes.some((s) => domains.includes(s)),
      `${n.name} is not in catalog/${sub}/${file}`,
    );
  }
});
