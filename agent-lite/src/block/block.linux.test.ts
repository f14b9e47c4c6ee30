import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SocketOwner } from '../collect/collector.js';
import { silentLogger } from '../log.js';
import { owner } from '../testing/builders.js';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeFiles } from '../testing/fake-files.js';
import { FakeRunner, fail, ok } from '../testing/fake-runner.js';
import { readTestdata } from '../testing/testdata.js';
import { LinuxBlocker } from './block.linux.js';

const MOUNT = '/sys/fs/cgroup';
const BLOCKED = '/packetpilot-blocked';

/** A /proc and cgroup v2 tree where writing a pid to cgroup.procs moves it, as the kernel does. */
class Machine extends FakeFiles {
  readonly member = new Map<number, string>();

  constructor() {
    super();
    this.file('/proc/self/mountinfo', readTestdata('linux/mountinfo-unified.out'));
    this.onWrite = (path, data) => {
      const m = /^\/sys\/fs\/cgroup(.*)\/cgroup\.procs$/.exec(path);
      if (!m) return false;
      const to = m[1] || '/';
      if (to !== '/' && !this.dirs.has(`${MOUNT}${to}`)) {
        throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      }
      this.put(Number(data.trim()), to);
      return true;
    };
  }

  proc(pid: number, exe: string, cgroup: string): this {
    this.link(`/proc/${pid}/exe`, exe);
    this.file(`/proc/${pid}/comm`, `${exe.split('/').pop()}\n`);
    this.put(pid, cgroup);
    return this;
  }

  put(pid: number, cgroup: string): void {
    this.member.set(pid, cgroup);
    if (cgroup !== '/') this.dirs.add(`${MOUNT}${cgroup}`);
    this.file(`/proc/${pid}/cgroup`, `0::${cgroup}\n`);
    for (const cg of new Set(this.member.values())) {
      const pids = [...this.member].filter(([, c]) => c === cg).map(([p]) => p);
      this.file(`${MOUNT}${cg === '/' ? '' : cg}/cgroup.procs`, pids.map((p) => `${p}\n`).join(''));
    }
  }
}

function setup() {
  const files = new Machine()
    .proc(100, '/usr/bin/curl', '/user.slice/session-2.scope')
    .proc(200, '/usr/lib/firefox-esr/firefox-esr', '/user.slice/session-2.scope')
    .proc(300, '/usr/bin/node', '/system.slice/packetpilot-agent.service');
  const runner = new FakeRunner().on('nft', ok()).on('ss', ok());
  const clock = new FakeClock();
  const blocker = new LinuxBlocker({ runner, files, clock, log: silentLogger(), selfPid: 300 });
  return { files, runner, clock, blocker };
}

const curl = (sport: number, pid = 100): SocketOwner => owner({ sport, pid });
const firefox = owner({
  sport: 51000,
  pid: 200,
  app: { name: 'firefox-esr', path: '/usr/lib/firefox-esr/firefox-esr' },
});

test('blocking curl: cgroup made, nft table loaded, its process moved and its sockets destroyed', async () => {
  const { files, runner, blocker } = setup();
  await blocker.enforce([curl(50001), firefox]);
  assert.equal(runner.calls.length, 0, 'nothing to do without a policy');
  await blocker.apply(['CURL']);
  assert.equal(blocker.mode, 'enforced');
  assert.ok(files.dirs.has(`${MOUNT}${BLOCKED}`));
  const nft = runner.calls.find((c) => c.cmd === 'nft');
  assert.deepEqual(nft?.args, ['-f', '-']);
  assert.match(
    nft?.input ?? '',
    /socket cgroupv2 level 1 "packetpilot-blocked" meta l4proto tcp counter reject/,
  );
  assert.equal(files.member.get(100), BLOCKED);
  assert.equal(files.member.get(200), '/user.slice/session-2.scope');
  assert.deepEqual(
    runner.lines().filter((l) => l.startsWith('ss')),
    ['ss -K -nH -t ( src 192.168.1.20:50001 and dst 93.184.216.34:443 )'],
  );
});

test('a curl started later is caught by its first socket and by the /proc scan; sockets killed once', async () => {
  const { files, runner, clock, blocker } = setup();
  await blocker.apply(['curl']);
  files.proc(101, '/usr/bin/curl', '/user.slice/session-2.scope');
  await blocker.enforce([curl(50001), curl(50002, 101)]);
  assert.equal(files.member.get(101), BLOCKED);
  const kills = () => runner.lines().filter((l) => l.startsWith('ss -K'));
  assert.deepEqual(kills(), [
    'ss -K -nH -t ( src 192.168.1.20:50001 and dst 93.184.216.34:443 ) or ( src 192.168.1.20:50002 and dst 93.184.216.34:443 )',
  ]);
  await blocker.enforce([curl(50001), curl(50002, 101)]);
  assert.equal(kills().length, 1, 'already destroyed');
  files.proc(102, '/usr/bin/curl', '/user.slice/session-2.scope'); // no socket yet
  await blocker.enforce([]);
  assert.equal(files.member.get(102), '/user.slice/session-2.scope', 'scan at most once a second');
  await clock.advance(1000);
  await blocker.enforce([]);
  assert.equal(files.member.get(102), BLOCKED);
});

test('unblocking moves processes back where they were and removes the table', async () => {
  const { files, runner, blocker } = setup();
  await blocker.apply(['curl', 'firefox-esr']);
  assert.equal(files.member.get(200), BLOCKED);
  await blocker.apply(['firefox-esr']);
  assert.equal(files.member.get(100), '/user.slice/session-2.scope');
  assert.equal(files.member.get(200), BLOCKED);
  await blocker.apply([]);
  assert.equal(files.member.get(200), '/user.slice/session-2.scope');
  assert.deepEqual(runner.lines().at(-1), 'nft delete table inet packetpilot_agent');
  await blocker.cleanup();
  assert.ok(!files.dirs.has(`${MOUNT}${BLOCKED}`));
});

test('the agent never moves itself, and a process whose origin is gone goes to the root', async () => {
  const { files, blocker } = setup();
  await blocker.apply(['node', 'curl']);
  assert.equal(files.member.get(300), '/system.slice/packetpilot-agent.service');
  files.put(100, BLOCKED); // e.g. moved by an earlier run of the agent: origin unknown
  const fresh = new LinuxBlocker({
    runner: new FakeRunner().on('nft', ok()).on('ss', ok()),
    files,
    clock: new FakeClock(),
    log: silentLogger(),
    selfPid: 300,
  });
  await fresh.apply(['firefox-esr']);
  assert.equal(files.member.get(100), '/');
});

test('no privileges: nft refuses → mode unavailable, nothing thrown', async () => {
  const { files } = setup();
  const runner = new FakeRunner().on('nft', fail('Error: Could not process rule: Operation not permitted'));
  const blocker = new LinuxBlocker({
    runner,
    files,
    clock: new FakeClock(),
    log: silentLogger(),
    selfPid: 300,
  });
  await blocker.apply(['curl']);
  assert.equal(blocker.mode, 'unavailable');
  await blocker.enforce([curl(50001)]);
  assert.equal(files.member.get(100), '/user.slice/session-2.scope');
});

test('no cgroup v2 mount and it cannot be mounted → unavailable', async () => {
  const files = new FakeFiles().file('/proc/self/mountinfo', '22 1 0:21 / /proc rw - proc proc rw\n');
  const runner = new FakeRunner().on('mount', fail('mount: permission denied', 32));
  const blocker = new LinuxBlocker({ runner, files, clock: new FakeClock(), log: silentLogger() });
  await blocker.apply(['curl']);
  assert.equal(blocker.mode, 'unavailable');
  assert.deepEqual(runner.lines(), ['mount -t cgroup2 cgroup2 /sys/fs/cgroup']);
});

test('a fresh /sys without cgroups (ip netns exec): cgroup v2 is mounted there and blocking works', async () => {
  const files = new Machine().proc(100, '/usr/bin/curl', '/user.slice/session-2.scope');
  const unified = files.files.get('/proc/self/mountinfo')!;
  files.file(
    '/proc/self/mountinfo',
    '22 1 0:21 / /proc rw - proc proc rw\n24 1 0:23 / /sys rw - sysfs sysfs rw\n',
  );
  const runner = new FakeRunner()
    .on('mount', () => {
      files.file('/proc/self/mountinfo', unified);
      return { stdout: '', stderr: '', code: 0 };
    })
    .on('nft', ok())
    .on('ss', ok());
  const blocker = new LinuxBlocker({
    runner,
    files,
    clock: new FakeClock(),
    log: silentLogger(),
    selfPid: 1,
  });
  await blocker.apply(['curl']);
  assert.equal(blocker.mode, 'enforced');
  assert.equal(runner.lines()[0], 'mount -t cgroup2 cgroup2 /sys/fs/cgroup');
  await blocker.enforce([curl(50001)]);
  assert.equal(files.member.get(100), BLOCKED);
  blocker.close();
});

test('something else mounted at /sys/fs/cgroup (cgroup v1 host) is never mounted over', async () => {
  const files = new FakeFiles().file(
    '/proc/self/mountinfo',
    '25 24 0:22 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n26 25 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n',
  );
  const runner = new FakeRunner();
  const blocker = new LinuxBlocker({ runner, files, clock: new FakeClock(), log: silentLogger() });
  await blocker.apply(['curl']);
  assert.equal(blocker.mode, 'unavailable');
  assert.equal(runner.calls.filter((c) => c.cmd === 'mount').length, 0);
});

test('the watcher catches a new process of a blocked app within its first ticks, also after fork+exec', async () => {
  const { files, clock, blocker } = setup();
  await blocker.apply(['curl']);
  await clock.advance(20);
  files.proc(400, '/bin/sh', '/user.slice/session-2.scope'); // a shell forks…
  await clock.advance(20);
  assert.equal(files.member.get(400), '/user.slice/session-2.scope');
  files.link('/proc/400/exe', '/usr/bin/curl'); // …and execs curl
  await clock.advance(20);
  assert.equal(files.member.get(400), BLOCKED);
  blocker.close();
  files.proc(401, '/usr/bin/curl', '/user.slice/session-2.scope');
  await clock.advance(100);
  assert.equal(files.member.get(401), '/user.slice/session-2.scope', 'closed: no more watching');
});
