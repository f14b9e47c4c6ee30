#!/usr/bin/env node
// Measures the Linux collectors (ss + inode map, ss -p, /proc) the way the agent uses them: a snapshot every
// 100 ms while 1000 sockets are open. Prints, per method: the share of short connections caught
// with the right pid and app, and the CPU time (this process + its children) per snapshot.
// Local only: every socket is on 127.0.0.1. Run after `npm run build`:
//   node agent-lite/scripts/bench-collector.mjs [--sockets 1000] [--lifetimes 200,100,50] [--conns 150]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  LinuxProcfsCollector,
  LinuxSsCollector,
  LinuxSsUsersCollector,
} from '../dist/collect/collector.linux.js';
import { LinuxProcessInfo } from '../dist/collect/procinfo.linux.js';
import { systemRunner } from '../dist/os/runner.js';
import { hostFiles } from '../dist/os/files.js';
import { systemClock } from '../dist/os/clock.js';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '1000' },
    lifetimes: { type: 'string', default: '200,100,50' },
    conns: { type: 'string', default: '150' },
    poll: { type: 'string', default: '100' },
  },
});
const SOCKETS = Number(values.sockets);
const LIFETIMES = values.lifetimes.split(',').map(Number);
const CONNS = Number(values.conns);
const POLL_MS = Number(values.poll);
const TICK = 100; // USER_HZ: /proc/self/stat counts children's CPU in 1/100 s

function child(code) {
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const line = () =>
    new Promise((resolve) => {
      const check = () => {
        const i = out.indexOf('\n');
        if (i < 0) return void p.stdout.once('data', check);
        const l = out.slice(0, i);
        out = out.slice(i + 1);
        resolve(JSON.parse(l));
      };
      check();
    });
  const send = (obj) => p.stdin.write(`${JSON.stringify(obj)}\n`);
  return { p, line, send, done: new Promise((r) => p.on('exit', r)) };
}

// Connections that live exactly `life` ms, one started every ~life/3 ms; resolves to their client ports.
const CHURN_FN = `
import net from 'node:net';
async function churn(port, life, count) {
  const made = [];
  for (let i = 0; i < count; i++) {
    const c = net.connect(port, '127.0.0.1', () => {
      made.push(c.localPort);
      setTimeout(() => c.destroy(), life);
    });
    c.on('error', () => {});
    await new Promise((r) => setTimeout(r, Math.max(5, Math.round(life / 3)) * (0.5 + Math.random())));
  }
  await new Promise((r) => setTimeout(r, life + 100));
  return made;
}
`;

// A server (for the churn) in its own small process.
const SERVER = `
import net from 'node:net';
const srv = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: srv.address().port }));
});`;

// One process holding SOCKETS established sockets (both ends of SOCKETS/2 connections); on request
// it churns short connections itself (the worst case for an inode map: a busy process opening more).
const LOAD = `${CHURN_FN}
import readline from 'node:readline';
const n = ${Math.floor(SOCKETS / 2)};
const srv = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  const keep = [];
  for (let i = 0; i < n; i++) {
    await new Promise((r) => { const c = net.connect(port, '127.0.0.1', r); c.on('error', () => {}); keep.push(c); });
  }
  console.log(JSON.stringify({ port, pid: process.pid }));
});
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { port, life, count } = JSON.parse(line);
  console.log(JSON.stringify({ pid: process.pid, ports: await churn(port, life, count) }));
}`;

// A fresh small process that churns and exits.
const CHURN = (port, life, count) => `${CHURN_FN}
console.log(JSON.stringify({ pid: process.pid, ports: await churn(${port}, ${life}, ${count}) }));`;

function childCpuMs() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / TICK; // cutime + cstime
}
function ownCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function pollWhile(collector, until, onSnapshot) {
  const stats = { polls: 0, wall: [] };
  const cpu0 = ownCpuMs();
  const ch0 = childCpuMs();
  let stop = false;
  until.then(() => (stop = true));
  while (!stop) {
    const t = performance.now();
    const owners = await collector.snapshot();
    const took = performance.now() - t;
    stats.wall.push(took);
    stats.polls++;
    onSnapshot?.(owners);
    await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - took)));
  }
  stats.ownCpuMs = ownCpuMs() - cpu0;
  stats.childCpuMs = childCpuMs() - ch0;
  return stats;
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const fmt = (x) => x.toFixed(1);

function machine() {
  let procs = 0;
  let fds = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    procs++;
    try {
      fds += readdirSync(`/proc/${d}/fd`).length;
    } catch {
      /* gone or not ours */
    }
  }
  return { procs, fds };
}

const load = child(LOAD);
await load.line();
const server = child(SERVER);
const { port } = await server.line();
const m = machine();
console.log(
  `# ${SOCKETS} background sockets held by one process; ${m.procs} processes, ${m.fds} open fds; poll ${POLL_MS} ms`,
);

const info = () => new LinuxProcessInfo(hostFiles, systemClock);
const make = {
  ss: () => new LinuxSsCollector(systemRunner, hostFiles, info(), systemClock),
  'ss-users': () => new LinuxSsUsersCollector(systemRunner, info()),
  procfs: () => new LinuxProcfsCollector(hostFiles, info(), systemClock),
};

const rows = [];
for (const method of Object.keys(make)) {
  // Steady state: nothing opens or closes.
  {
    const c = make[method]();
    await c.snapshot();
    const s = await pollWhile(c, new Promise((r) => setTimeout(r, 3000)));
    const count = (await c.snapshot()).length;
    rows.push({
      method,
      case: 'steady',
      seen: count,
      polls: s.polls,
      cpuPerPoll: (s.ownCpuMs + s.childCpuMs) / s.polls,
      own: s.ownCpuMs / s.polls,
      children: s.childCpuMs / s.polls,
      p50: pct(s.wall, 0.5),
      p95: pct(s.wall, 0.95),
    });
  }
  for (const [who, life] of [...LIFETIMES.map((l) => ['new process', l]), ['busy process', LIFETIMES[0]]]) {
    const c = make[method]();
    await c.snapshot();
    let result;
    if (who === 'new process') {
      const churn = child(CHURN(port, life, CONNS));
      result = churn.line().then(async (r) => (await churn.done, r));
    } else {
      load.send({ port, life, count: CONNS });
      result = load.line();
    }
    const seen = new Map();
    const s = await pollWhile(c, result, (owners) => {
      for (const o of owners) {
        if (o.remote.port === port && o.remote.address === '127.0.0.1') seen.set(o.local.port, o);
      }
    });
    const { pid, ports } = await result;
    const caught = ports.filter((p) => seen.get(p)?.pid === pid && seen.get(p)?.app.name === 'node').length;
    rows.push({
      method,
      case: `${life} ms conns, ${who}`,
      seen: `${caught}/${ports.length} (${fmt((100 * caught) / ports.length)} %)`,
      polls: s.polls,
      cpuPerPoll: (s.ownCpuMs + s.childCpuMs) / s.polls,
      own: s.ownCpuMs / s.polls,
      children: s.childCpuMs / s.polls,
      p50: pct(s.wall, 0.5),
      p95: pct(s.wall, 0.95),
    });
  }
}
server.p.kill();
load.p.kill();
console.log(
  '| method | case | caught (pid + app) | polls | CPU ms/poll (agent + children) | snapshot p50 / p95 ms |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.method} | ${r.case} | ${r.seen} | ${r.polls} | ${fmt(r.cpuPerPoll)} (${fmt(r.own)} + ${fmt(r.children)}) | ${fmt(r.p50)} / ${fmt(r.p95)} |`,
  );
}
