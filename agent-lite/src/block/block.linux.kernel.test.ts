/**
 * The Linux blocker against the real kernel: cgroup v2, nft `socket cgroupv2` and ss -K, inside two
 * network namespaces this test makes (never the lab's pp-* ones) and with a copy of curl under a
 * name no other process has, so nothing else on the machine is touched. Needs root; under CI=true
 * not being root is a failure, not a skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinuxSsCollector } from '../collect/collector.linux.js';
import { LinuxProcessInfo } from '../collect/procinfo.linux.js';
import { silentLogger } from '../log.js';
import { systemClock } from '../os/clock.js';
import { hostFiles } from '../os/files.js';
import { runChecked, systemRunner, type CommandRunner } from '../os/runner.js';
import { LinuxBlocker } from './block.linux.js';

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid?.() === 0) return false;
  if (process.env.CI === 'true') throw new Error('CI=true: the kernel blocking test needs root');
  return 'needs root (network namespaces, nftables, cgroup v2)';
}

/** nsenter, not `ip netns exec`: that one remounts /sys, and nft must see the real /sys/fs/cgroup. */
function inNetns(ns: string): CommandRunner {
  return {
    run: (cmd, args, opts) => systemRunner.run('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], opts),
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  if (req.url === '/small') return res.end('ok');
  const t = setInterval(() => res.write(Buffer.alloc(1024)), 50); // endless and slow
  res.on('close', () => clearInterval(t));
}).listen(18080, process.argv[1]);`;

test(
  'a blocked app: live connection cut, new connections fail within 1 s, others unaffected, unblock restores',
  { skip: skipReason(), timeout: 60_000 },
  async (t) => {
    const tag = `ppal${process.pid % 100000}`;
    const [a, b] = [`${tag}a`, `${tag}b`];
    const net = `10.251.${process.pid % 250}`;
    const sh = (cmd: string) => runChecked(systemRunner, 'sh', ['-c', cmd]);
    const dir = await mkdtemp(join(tmpdir(), 'ppal-block-'));
    const app = `ppal-curl-${process.pid}`;
    const children: ChildProcess[] = [];
    const blocker = new LinuxBlocker({
      runner: inNetns(a),
      files: hostFiles,
      clock: systemClock,
      log: silentLogger(),
      cgroupName: `packetpilot-blocked-test-${process.pid}`,
    });
    t.after(async () => {
      await blocker.cleanup();
      for (const c of children) c.kill('SIGKILL');
      await sh(`ip netns del ${a} 2>/dev/null; ip netns del ${b} 2>/dev/null; true`);
      await rm(dir, { recursive: true, force: true });
    });
    await sh(
      [
        `ip netns add ${a}`,
        `ip netns add ${b}`,
        `ip link add ${tag}x netns ${a} type veth peer name ${tag}y netns ${b}`,
        `ip -n ${a} addr add ${net}.1/24 dev ${tag}x`,
        `ip -n ${b} addr add ${net}.2/24 dev ${tag}y`,
        `ip -n ${a} link set ${tag}x up`,
        `ip -n ${b} link set ${tag}y up`,
        `ip -n ${a} link set lo up`,
      ].join(' && '),
    );
    await copyFile('/usr/bin/curl', join(dir, app));
    await sh(`chmod 755 ${join(dir, app)}`);
    const server = spawn('ip', ['netns', 'exec', b, process.execPath, '-e', SERVER, `${net}.2`], {
      stdio: 'ignore',
    });
    children.push(server);
    const curl = (exe: string, path: string, extra: string[] = []) => {
      const c = spawn(
        'nsenter',
        [`--net=/run/netns/${a}`, exe, '-sf', '-o', '/dev/null', ...extra, `http://${net}.2:18080${path}`],
        {
          stdio: 'ignore',
        },
      );
      children.push(c);
      return c;
    };
    const fetchOk = async (exe: string) => (await exited(curl(exe, '/small', ['-m', '5']))) === 0;
    for (let i = 0; i < 50 && !(await fetchOk('/usr/bin/curl')); i++)
      await new Promise((r) => setTimeout(r, 100));

    // A long download by the app, running before the block.
    const long = curl(join(dir, app), '/endless');
    const longExit = exited(long);
    const collector = new LinuxSsCollector(
      inNetns(a),
      hostFiles,
      new LinuxProcessInfo(hostFiles, systemClock),
      systemClock,
    );
    for (let i = 0; i < 50; i++) {
      if ((await collector.snapshot()).some((o) => o.app.name === app)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const t0 = Date.now();
    await blocker.apply([app]);
    assert.equal(blocker.mode, 'enforced');
    await blocker.enforce(await collector.snapshot());
    assert.notEqual(await longExit, 0, 'the live download was cut');
    assert.ok(Date.now() - t0 < 1000, `cut after ${Date.now() - t0} ms`);

    // A new process of the app: its connection fails within 1 s (the agent polls every 100 ms).
    let polling = true;
    const poll = (async () => {
      while (polling) {
        await blocker.enforce(await collector.snapshot());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t1 = Date.now();
    const code = await exited(curl(join(dir, app), '/endless', ['-m', '10']));
    const took = Date.now() - t1;
    assert.notEqual(code, 0);
    assert.ok(took < 1000, `the new connection failed after ${took} ms`);
    assert.equal(await fetchOk('/usr/bin/curl'), true, 'other programs keep working');

    await blocker.apply([]);
    polling = false;
    await poll;
    assert.equal(await fetchOk(join(dir, app)), true, 'unblocked');
  },
);
