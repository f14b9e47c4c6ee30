import {
  labContext,
  labNamespaces,
  linkNames,
  listLinks,
  runStep,
  type LabCommand,
  type LabContext,
  type LabOptions,
} from './context.js';
import { ensureServers, serverStatus, type ServerStatus } from './servers.js';
import { dirname } from 'node:path';
import { LAB, LAB_NAMES, clientResolvConfPath, isV6, labTopology, type LabTopology } from './topology.js';
import { waitFor } from './wait.js';

/** What exists now: namespaces and, per namespace (`''` = host), its interface names. */
export interface LabState {
  namespaces: Set<string>;
  links: Map<string, Set<string>>;
}

const key = (ns: string | null) => ns ?? '';

export async function inspectLab(ctx: LabContext, topo: LabTopology): Promise<LabState> {
  const namespaces = new Set(await labNamespaces(ctx.runner));
  const links = new Map<string, Set<string>>();
  for (const ns of [null, ...topo.namespaces]) {
    if (ns !== null && !namespaces.has(ns)) continue;
    links.set(key(ns), new Set(await linkNames(ctx.runner, ns)));
  }
  return { namespaces, links };
}

/**
 * The commands that bring `state` to `topo`. Objects that exist are not re-created (they are
 * not idempotent in `ip`); a veth counts only when both ends are where they belong. Settings, addresses and routes use set/replace forms and are always
 * re-applied, which repairs a half-built lab and changes nothing on a complete one.
 */
export function planLabUp(topo: LabTopology, state: LabState): LabCommand[] {
  const plan: LabCommand[] = [];
  const ip = (ns: string | null, ...args: string[]) =>
    plan.push({ cmd: 'ip', args: ns ? ['-n', ns, ...args] : args });
  const has = (ns: string | null, name: string) => state.links.get(key(ns))?.has(name) ?? false;
  const { bridge } = topo;

  for (const ns of topo.namespaces) if (!state.namespaces.has(ns)) ip(null, 'netns', 'add', ns);
  for (const ns of topo.namespaces) {
    // Duplicate address detection only delays the lab (addresses are unique by construction).
    const args = ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
    // The switch must stay invisible: no link-local addresses, so no extra "devices" on the LAN.
    if (ns === bridge.ns)
      args.push('net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    plan.push({ cmd: 'sysctl', args, netns: ns });
    ip(ns, 'link', 'set', 'lo', 'up');
  }
  // Without an MLD querier, snooping can stop forwarding IPv6 neighbour discovery after a while.
  if (!has(bridge.ns, bridge.name)) ip(bridge.ns, 'link', 'add', bridge.name, 'type', 'bridge');
  ip(bridge.ns, 'link', 'set', bridge.name, 'type', 'bridge', 'mcast_snooping', '0');
  ip(bridge.ns, 'link', 'set', bridge.name, 'up');

  const macArgs = (mac?: string) => (mac ? ['address', mac] : []);
  for (const { a, b } of topo.links) {
    const [hasA, hasB] = [has(a.ns, a.name), has(b.ns, b.name)];
    if (hasA && hasB) continue;
    // A lone end's peer sits in a namespace deleted while a process still pinned it: start over.
    if (hasA) ip(a.ns, 'link', 'del', a.name);
    if (hasB) ip(b.ns, 'link', 'del', b.name);
    const peer = ['peer', 'name', b.name, ...macArgs(b.mac), ...(b.ns ? ['netns', b.ns] : [])];
    ip(a.ns, 'link', 'add', a.name, ...macArgs(a.mac), 'type', 'veth', ...peer);
  }
  for (const end of topo.links.flatMap((l) => [l.a, l.b])) {
    if (end.ns === null) {
      // The host must never take routes from the lab (router advertisements of a gateway under test).
      const conf = `net.ipv6.conf.${end.name}`;
      plan.push({ cmd: 'sysctl', args: ['-qw', `${conf}.accept_ra=0`, `${conf}.autoconf=0`] });
    }
    const master = end.bridged ? ['master', bridge.name] : [];
    ip(end.ns, 'link', 'set', end.name, ...macArgs(end.mac), ...master, 'up');
  }
  for (const a of topo.addresses) {
    const v6 = isV6(a.cidr);
    ip(a.ns, ...(v6 ? ['-6'] : []), 'addr', 'replace', a.cidr, 'dev', a.dev, ...(v6 ? ['nodad'] : []));
  }
  for (const r of topo.routes) {
    ip(r.ns, ...(isV6(r.via) ? ['-6'] : []), 'route', 'replace', r.dst, 'via', r.via, 'dev', r.dev);
  }
  for (const l of topo.localRanges) {
    ip(l.ns, ...(isV6(l.cidr) ? ['-6'] : []), 'route', 'replace', 'local', l.cidr, 'dev', 'lo');
  }
  // Through the runner like every other step (tee reads its stdin, never a path).
  for (const dir of new Set(topo.files.map((f) => dirname(f.path)))) {
    plan.push({ cmd: 'mkdir', args: ['-p', dir] });
  }
  for (const f of topo.files) plan.push({ cmd: 'tee', args: [f.path], input: f.content });
  plan.push({ cmd: 'sysctl', args: ['-qw', ...topo.forwarding.sysctls], netns: topo.forwarding.ns });
  return plan;
}

async function runPlan(ctx: LabContext, what: string, plan: LabCommand[]): Promise<void> {
  for (const [i, step] of plan.entries()) {
    try {
      await runStep(ctx.runner, step);
    } catch (err) {
      throw new Error(`${what}: step ${i + 1}/${plan.length} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/** The kernel reports carrier asynchronously; callers of `up` expect a lab that is ready. */
async function waitForCarrier(ctx: LabContext, topo: LabTopology, timeoutMs = 10_000): Promise<void> {
  const ends = topo.links.flatMap((l) => [l.a, l.b]);
  let down: string[] = [];
  await waitFor(
    async () => {
      const state = new Map<string, string | undefined>();
      for (const ns of new Set(ends.map((e) => e.ns))) {
        for (const l of await listLinks(ctx.runner, ns)) state.set(`${key(ns)}/${l.ifname}`, l.operstate);
      }
      down = ends.map((e) => `${key(e.ns)}/${e.name}`).filter((k) => state.get(k) !== 'UP');
      return down.length === 0;
    },
    { timeoutMs, intervalMs: 20, what: 'lab links to come up' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; still down: ${down.join(', ')}`, { cause: err });
  });
}

/** Build (or repair) the lab and start its servers. Safe to run again on a running lab. */
export async function labUp(opts: LabOptions = {}): Promise<LabStatus> {
  const ctx = labContext(opts);
  const topo = labTopology(opts.clients ?? LAB.defaultClients);
  const plan = planLabUp(topo, await inspectLab(ctx, topo));
  ctx.log?.info({ steps: plan.length }, 'lab up');
  await runPlan(ctx, 'lab up', plan);
  await waitForCarrier(ctx, topo);
  await ensureServers(ctx, topo);
  return labStatusIn(ctx, topo);
}

export interface LabDownReport {
  namespaces: string[];
  stoppedProcesses: string[];
  killedPids: number[];
  hostLink: boolean;
}

/** Remove everything named pp-*: processes first (they pin namespaces), then namespaces, host veth, pid files. */
export async function labDown(opts: LabOptions = {}): Promise<LabDownReport> {
  const ctx = labContext(opts);
  const stoppedProcesses: string[] = [];
  for (const p of await ctx.processes.list()) {
    await ctx.processes.stop(p.name);
    stoppedProcesses.push(p.name);
  }
  const namespaces = await labNamespaces(ctx.runner);
  const killedPids: number[] = [];
  for (const ns of namespaces) {
    // Leftovers of a crashed run or things a test started (the gateway daemon in pp-gw).
    const out = await runStep(ctx.runner, { cmd: 'ip', args: ['netns', 'pids', ns] });
    const pids = out.split(/\s+/).filter(Boolean).map(Number);
    await ctx.processes.kill(pids);
    killedPids.push(...pids);
  }
  await runPlan(
    ctx,
    'lab down',
    namespaces.map((ns) => ({ cmd: 'ip', args: ['netns', 'del', ns] })),
  );
  // Normally gone with pp-lan; a crash between creating the pair and moving its peer leaves it behind.
  // The kernel tears a deleted namespace's veths down asynchronously; the delete may race with that.
  const hostLink = (await linkNames(ctx.runner, null)).includes(LAB.host.ifName);
  if (hostLink) {
    const r = await ctx.runner.run('ip', ['link', 'del', LAB.host.ifName]);
    if (r.code !== 0 && (await linkNames(ctx.runner, null)).includes(LAB.host.ifName)) {
      throw new Error(`lab down: cannot remove ${LAB.host.ifName}: ${r.stderr.trim()}`);
    }
  }
  // Per-namespace files (client resolv.conf) of every lab namespace, present or crashed.
  const etc = await ctx.runner.run('find', [
    '/etc/netns',
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '-name',
    `${LAB.prefix}*`,
    '-exec',
    'rm',
    '-rf',
    '--',
    '{}',
    '+',
  ]);
  if (etc.code !== 0 && !/No such file or directory/.test(etc.stderr)) {
    throw new Error(`lab down: cannot remove /etc/netns/${LAB.prefix}*: ${etc.stderr.trim()}`);
  }
  await ctx.processes.clear();
  ctx.log?.info({ namespaces, stoppedProcesses, killedPids }, 'lab down');
  return { namespaces, stoppedProcesses, killedPids, hostLink };
}

export interface LabStatus {
  /** Every namespace, link and forwarding switch present and every server answering. */
  up: boolean;
  clients: number;
  namespaces: Array<{ name: string; present: boolean }>;
  /** pp-* namespaces outside the base topology (pp-sim, clients beyond `clients`). */
  extraNamespaces: string[];
  links: Array<{ ns: string | null; name: string; present: boolean }>;
  forwarding: boolean;
  servers: ServerStatus[];
  dns: LabDnsStatus;
  trafficGenerators: number;
  simulatedDevices: number;
}

export interface LabDnsStatus {
  /** The upstream DNS server in pp-wan (its status is the `dns` entry of `servers`). */
  upstream: string[];
  /** Names it answers (LAB_NAMES). */
  names: number;
  /** What the clients' resolv.conf points at: the gateway. */
  clientResolver: string;
  /** Every client namespace has that resolv.conf. */
  clientsUseGateway: boolean;
}

async function dnsStatus(ctx: LabContext, topo: LabTopology): Promise<LabDnsStatus> {
  const want = `nameserver ${LAB.dns.clientNameserver}`;
  const paths = topo.clients.map((c) => clientResolvConfPath(c.ns));
  const r = await ctx.runner.run('cat', paths);
  const found = r.stdout.split('\n').filter((l) => l.trim() === want).length;
  return {
    upstream: [LAB.wan.server4, LAB.wan.server6],
    names: LAB_NAMES.length,
    clientResolver: LAB.dns.clientNameserver,
    clientsUseGateway: r.code === 0 && found === paths.length,
  };
}

export async function labStatus(opts: LabOptions = {}): Promise<LabStatus> {
  const ctx = labContext(opts);
  let clients = opts.clients;
  if (clients === undefined) {
    const found = (await labNamespaces(ctx.runner)).map((n) => /^pp-c(\d+)$/.exec(n)?.[1]).filter(Boolean);
    clients = found.length ? Math.max(...found.map(Number)) : LAB.defaultClients;
  }
  return labStatusIn(ctx, labTopology(clients));
}

async function labStatusIn(ctx: LabContext, topo: LabTopology): Promise<LabStatus> {
  const state = await inspectLab(ctx, topo);
  const namespaces = topo.namespaces.map((name) => ({ name, present: state.namespaces.has(name) }));
  const links = topo.links
    .flatMap((l) => [l.a, l.b])
    .map(({ ns, name }) => ({ ns, name, present: state.links.get(key(ns))?.has(name) ?? false }));
  let forwarding = false;
  if (state.namespaces.has(topo.forwarding.ns)) {
    const r = await ctx.runner.run(
      'sysctl',
      ['-n', ...topo.forwarding.sysctls.map((s) => s.split('=')[0] ?? s)],
      {
        netns: topo.forwarding.ns,
      },
    );
    forwarding =
      r.code === 0 &&
      r.stdout
        .split('\n')
        .filter(Boolean)
        .every((v) => v.trim() === '1');
  }
  const servers = await serverStatus(ctx, topo, state.namespaces);
  const dns = await dnsStatus(ctx, topo);
  const procs = await ctx.processes.list();
  const sim = state.namespaces.has(LAB.ns.sim) ? await linkNames(ctx.runner, LAB.ns.sim) : [];
  const up =
    namespaces.every((n) => n.present) &&
    links.every((l) => l.present) &&
    forwarding &&
    servers.every((s) => s.running && s.answering) &&
    dns.clientsUseGateway;
  return {
    up,
    clients: topo.clients.length,
    namespaces,
    extraNamespaces: [...state.namespaces].filter((n) => !topo.namespaces.includes(n)).sort(),
    links,
    forwarding,
    servers,
    dns,
    trafficGenerators: procs.filter((p) => p.name.startsWith('traffic-') && p.alive).length,
    simulatedDevices: sim.filter((n) => /^sim\d+$/.test(n)).length,
  };
}
