import { labContext, labNamespaces, type LabContext, type LabOptions } from './context.js';
import { LAB, labClient, type LabServer, type LabTopology } from './topology.js';
import { waitFor } from './wait.js';

export interface ServerStatus {
  name: string;
  kind: LabServer['kind'];
  port: number;
  pid?: number;
  running: boolean;
  answering: boolean;
}

/** A name the lab DNS must answer, with the answer it must give: proves the host table was read. */
const DNS_PROBE = { name: 'files.lab.test', a: LAB.wan.server4, aaaa: LAB.wan.server6 };

async function dnsAnswers(ctx: LabContext, s: LabServer): Promise<boolean> {
  const ask = async (server: string, type: 'A' | 'AAAA', want: string): Promise<boolean> => {
    const args = ['+short', '+time=1', '+tries=1', `@${server}`, DNS_PROBE.name, type];
    const r = await ctx.runner.run('dig', args, { netns: s.ns, timeoutMs: 5000 });
    return r.code === 0 && r.stdout.trim().split('\n').includes(want);
  };
  const results = await Promise.all([
    ask(LAB.wan.server4, 'A', DNS_PROBE.a),
    ask(LAB.wan.server6, 'AAAA', DNS_PROBE.aaaa),
  ]);
  return results.every(Boolean);
}

/**
 * Answers on both address families: the HTTP server's /health (and its DoT stand-in's two
 * listening sockets), the DNS server's answer for a lab name, iperf3's listening socket.
 */
async function answers(ctx: LabContext, s: LabServer): Promise<boolean> {
  if (s.kind === 'http') {
    const urls = [
      `http://${LAB.wan.server4}:${s.port}/health`,
      `http://[${LAB.wan.server6}]:${s.port}/health`,
    ];
    const [dot, ...results] = await Promise.all([
      ctx.runner.run('ss', ['-Hltn', `sport = :${LAB.ports.dot}`], { netns: s.ns }),
      ...urls.map((u) => ctx.runner.run('curl', ['-sf', '-m', '2', '-o', '/dev/null', u], { netns: s.ns })),
    ]);
    const dotListeners = dot!.stdout.split('\n').filter((l) => l.trim()).length;
    return results.every((r) => r.code === 0) && dot!.code === 0 && dotListeners >= 2;
  }
  if (s.kind === 'dns') return dnsAnswers(ctx, s);
  const r = await ctx.runner.run('ss', ['-Hltn', `sport = :${s.port}`], { netns: s.ns });
  return r.code === 0 && r.stdout.trim() !== '';
}

/** Pids listening on a port in a namespace: servers of a crashed run whose pid files are gone. */
async function listeners(ctx: LabContext, ns: string, port: number): Promise<number[]> {
  const r = await ctx.runner.run('ss', ['-Hltnp', `sport = :${port}`], { netns: ns });
  return [...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

export async function ensureServers(ctx: LabContext, topo: LabTopology, timeoutMs = 10_000): Promise<void> {
  for (const s of topo.servers) {
    const tracked = await ctx.processes.get(s.name);
    if (tracked?.alive) continue;
    if (tracked) await ctx.processes.stop(s.name); // forget the stale pid file
    await ctx.processes.kill(await listeners(ctx, s.ns, s.port));
    const pid = await ctx.processes.start(s.name, s.ns, s.cmd, s.args);
    ctx.log?.info({ server: s.name, pid }, 'lab server started');
  }
  await Promise.all(
    topo.servers.map(async (s) => {
      let exited = false;
      await waitFor(
        async () => {
          if (!(await ctx.processes.get(s.name))?.alive) return (exited = true);
          return answers(ctx, s);
        },
        { timeoutMs, intervalMs: 50, what: `${s.name} in ${s.ns} to answer on port ${s.port}` },
      );
      if (exited) {
        throw new Error(
          `lab server ${s.name} in ${s.ns} exited; log: ${await ctx.processes.logTail(s.name)}`,
        );
      }
    }),
  );
}

export async function serverStatus(
  ctx: LabContext,
  topo: LabTopology,
  namespaces: Set<string>,
): Promise<ServerStatus[]> {
  return Promise.all(
    topo.servers.map(async (s) => {
      const p = await ctx.processes.get(s.name);
      const running = p?.alive ?? false;
      const answering = namespaces.has(s.ns) ? await answers(ctx, s) : false;
      return { name: s.name, kind: s.kind, port: s.port, pid: p?.pid, running, answering };
    }),
  );
}

// Light, irregular load so the UI's numbers move: mostly downloads, some uploads, a quarter over
// IPv6, each rate-limited. Random sizes and pauses keep the clients from moving in lockstep.
const TRAFFIC_LOOP = `
set -u
v4=$1; v6=$2
while :; do
  n=$(( (RANDOM % 512 + 1) * 1024 ))
  if (( RANDOM % 4 == 0 )); then base="http://[$v6]"; else base="http://$v4"; fi
  if (( RANDOM % 5 == 0 )); then
    head -c "$n" /dev/zero | curl -s -o /dev/null -m 30 --limit-rate 128k --data-binary @- "$base/upload" || true
  else
    curl -s -o /dev/null -m 30 --limit-rate 256k "$base/bytes/$n" || true
  fi
  sleep $(( RANDOM % 4 + 2 ))
done
`;

const trafficName = (ns: string) => `traffic-${ns}`;

/** Start one traffic loop per client namespace (loops already running are kept); resolves with the new ones. */
export async function startBackgroundTraffic(opts: LabOptions = {}): Promise<string[]> {
  const ctx = labContext(opts);
  const present = await labNamespaces(ctx.runner);
  // Every client namespace that exists, unless the caller limits it.
  const indexes = present.map((n) => Number(/^pp-c(\d+)$/.exec(n)?.[1] ?? 0)).filter((i) => i > 0);
  const clients = indexes
    .filter((i) => opts.clients === undefined || i <= opts.clients)
    .sort((x, y) => x - y)
    .map(labClient);
  if (clients.length === 0) throw new Error('startBackgroundTraffic: no client namespaces; run lab up first');
  const started: string[] = [];
  for (const c of clients) {
    const name = trafficName(c.ns);
    if ((await ctx.processes.get(name))?.alive) continue;
    await ctx.processes.start(name, c.ns, 'bash', [
      '-c',
      TRAFFIC_LOOP,
      name,
      LAB.wan.server4,
      LAB.wan.server6,
    ]);
    started.push(name);
  }
  return started;
}

export async function stopBackgroundTraffic(opts: LabOptions = {}): Promise<void> {
  const ctx = labContext(opts);
  for (const p of await ctx.processes.list()) {
    if (p.name.startsWith('traffic-')) await ctx.processes.stop(p.name);
  }
}
