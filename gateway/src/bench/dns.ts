/**
 * DNS benchmarks, side by side on the same run: the gateway's resolver against Debian's dnsmasq
 * (both caching forwarders in pp-gw, same upstream, same query file, dnsperf from pp-c1), and
 * how fast a new block rule takes effect for a client's queries and its live download.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Device, Rule } from '@packetpilot/protocol';
import { LAB, LAB_NAMES, labClient } from '../lab/index.js';
import { systemRunner as runner } from '../os/runner.js';
import type { ApiClient } from '../testing/gateway-process.js';
import { until } from '../testing/gateway-process.js';
import { dig, download, growing, sleep } from '../testing/lab-clients.js';

const NAMES = 500;
const BENCH_PORT = 5300;
const REFERENCE_PORT = 5353;
const FLOOR_PORT = 5354;
const FLOOR_SCRIPT = fileURLToPath(new URL('./dgram-floor.js', import.meta.url));
const SECONDS = 10;

export interface DnsperfResult {
  qps: number;
  lost: number;
  sent: number;
  avgMs: number;
  maxMs: number;
}

export function parseDnsperf(out: string): DnsperfResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxMs: num(/Average Latency \(s\):.*max ([\d.]+)/) * 1000,
  };
}

async function dnsperf(server: string, port: number, file: string, seconds: number): Promise<DnsperfResult> {
  const c1 = labClient(1);
  const r = await runner.run(
    'dnsperf',
    ['-s', server, '-p', String(port), '-d', file, '-c', '4', '-l', String(seconds), '-q', '500'],
    { netns: c1.ns, timeoutMs: (seconds + 30) * 1000 },
  );
  if (r.code !== 0) throw new Error(`dnsperf failed (${r.code}): ${r.stderr || r.stdout}`);
  return parseDnsperf(r.stdout);
}

function spawnDnsmasq(ns: string, args: string[]): ChildProcess {
  const child = runner.spawn(
    'dnsmasq',
    ['--no-daemon', '--conf-file=/dev/null', '--log-facility=-', ...args],
    {
      netns: ns,
    },
  );
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

export interface DnsBench {
  gateway: DnsperfResult;
  dnsmasq: DnsperfResult;
  /** bench/dgram-floor.ts: a fixed answer and nothing else, node:dgram's ceiling. */
  floor: DnsperfResult;
  block: BlockTries;
}

export interface BlockTries {
  stopMs: number[];
  postMs: number[];
  /** Wall-clock time (ms since the epoch) each try's POST started, to find it in the daemon's log. */
  startedAt: number[];
  tries: number;
}

/** Needs the lab up and the gateway running (admin API client given). */
export async function dnsBench(api: ApiClient): Promise<DnsBench> {
  const dir = await mkdtemp(join(tmpdir(), 'pp-dns-bench-'));
  const hosts = join(dir, 'hosts');
  const queries = join(dir, 'queries');
  const names = Array.from({ length: NAMES }, (_, i) => `n${i}.bench.lab.test`);
  await writeFile(hosts, names.map((n, i) => `198.18.1.${i % 250} ${n}`).join('\n') + '\n');
  await writeFile(queries, names.map((n) => `${n} A`).join('\n') + '\n');
  const upstream = spawnDnsmasq(LAB.ns.wan, [
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${hosts}`,
    '--local-ttl=3600',
    `--port=${BENCH_PORT}`,
    `--listen-address=${LAB.wan.server4}`,
    '--bind-interfaces',
  ]);
  const reference = spawnDnsmasq(LAB.ns.gw, [
    '--no-resolv',
    '--no-hosts',
    `--server=${LAB.wan.server4}#${BENCH_PORT}`,
    `--port=${REFERENCE_PORT}`,
    `--listen-address=${LAB.lan.gateway4}`,
    '--bind-interfaces',
    '--cache-size=10000',
  ]);
  const floorServer = runner.spawn(process.execPath, [FLOOR_SCRIPT, LAB.lan.gateway4, String(FLOOR_PORT)], {
    netns: LAB.ns.gw,
  });
  floorServer.stdout?.resume();
  floorServer.stderr?.resume();
  const before = await api.get<{ upstreams: string[] }>('/settings/dns');
  try {
    await api.send('PATCH', '/settings/dns', { upstreams: [`${LAB.wan.server4}:${BENCH_PORT}`] });
    await until(
      'both resolvers answering',
      async () =>
        (await dig(labClient(1).ns, LAB.lan.gateway4, names[0]!)) === '198.18.1.0' &&
        (await dig(labClient(1).ns, LAB.lan.gateway4, names[0]!, ['-p', String(REFERENCE_PORT)])) ===
          '198.18.1.0' &&
        (await dig(labClient(1).ns, LAB.lan.gateway4, names[0]!, ['-p', String(FLOOR_PORT)])) ===
          '198.18.0.10',
      10_000,
    );
    // Warm both caches with one pass, then measure; alternate so drift hits both alike.
    await dnsperf(LAB.lan.gateway4, 53, queries, 2);
    await dnsperf(LAB.lan.gateway4, REFERENCE_PORT, queries, 2);
    await dnsperf(LAB.lan.gateway4, FLOOR_PORT, queries, 2);
    const dnsmasq = await dnsperf(LAB.lan.gateway4, REFERENCE_PORT, queries, SECONDS);
    const gateway = await dnsperf(LAB.lan.gateway4, 53, queries, SECONDS);
    const floor = await dnsperf(LAB.lan.gateway4, FLOOR_PORT, queries, SECONDS);
    await api.send('PATCH', '/settings/dns', { upstreams: before.upstreams });
    const block = await blockLatency(api, 50);
    return { gateway, dnsmasq, floor, block };
  } finally {
    upstream.kill();
    reference.kill();
    floorServer.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * POST a rule blocking YouTube for client 1 while it downloads from YouTube; measure when its last
 * byte arrived after the POST started, and check its next query is blocked; delete; repeat.
 */
async function blockLatency(api: ApiClient, tries: number): Promise<BlockTries> {
  const c1 = labClient(1);
  const youtube = LAB_NAMES.find((n) => n.name === 'www.youtube.com')!.ipv4[0]!;
  const kid = (await api.get<Device[]>('/devices')).find((d) => d.mac === c1.mac);
  if (!kid) throw new Error('client 1 is not a known device');
  const stopMs: number[] = [];
  const postMs: number[] = [];
  const startedAt: number[] = [];
  for (let i = 0; i < tries; i++) {
    const d = download(c1.ns, `http://www.youtube.com/bytes/${40 * 1024 ** 3}`);
    try {
      await growing(d, 'download running');
      const t0 = performance.timeOrigin + performance.now();
      startedAt.push(t0);
      const rule = await api.send<Rule>('POST', '/rules', {
        action: 'block',
        target: { type: 'service', id: 'youtube' },
        scope: { type: 'device', id: kid.id },
      });
      postMs.push(performance.timeOrigin + performance.now() - t0);
      await sleep(300);
      stopMs.push(Math.max(0, d.last - t0));
      const answer = await dig(c1.ns, LAB.lan.gateway4, 'www.youtube.com');
      if (answer !== '0.0.0.0') throw new Error(`try ${i}: blocked name answered ${answer}`);
      await api.send('DELETE', `/rules/${rule.id}`);
      await until(
        'youtube reachable again',
        async () => (await dig(c1.ns, LAB.lan.gateway4, 'www.youtube.com')) === youtube,
        5000,
      );
    } finally {
      d.stop();
    }
  }
  return { stopMs, postMs, startedAt, tries };
}

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

export interface BlockPhases {
  /** POST start → the applier starts: HTTP, authentication, the rule's database writes. */
  beforeApplyMs: number;
  /** The applier starts → kernel sets changed. */
  setsMs: number;
  /** Kernel sets changed → conntrack kills done. */
  killMs: number;
}

/**
 * Each try's phases, from the daemon's `policy applied` log line (pino's `time` is when it was
 * written, at the end of the apply): the first such line after the try's POST started.
 */
export function blockPhases(daemonLog: string, block: BlockTries): Array<BlockPhases | null> {
  const applied: Array<{ time: number; ms: number; setsMs: number }> = [];
  for (const line of daemonLog.split('\n')) {
    if (!line.includes('"policy applied"')) continue;
    try {
      const e = JSON.parse(line) as { time: number; ms: number; setsMs: number };
      applied.push(e);
    } catch {
      // a torn line: skip it
    }
  }
  return block.startedAt.map((t0, i) => {
    // pino's time is whole milliseconds and the two clocks are read in two processes: a few ms of slack
    const end = t0 + block.postMs[i]! + 5;
    const e = applied.find((a) => a.time >= t0 && a.time <= end);
    if (!e) return null;
    return { beforeApplyMs: e.time - e.ms - t0, setsMs: e.setsMs, killMs: e.ms - e.setsMs };
  });
}
