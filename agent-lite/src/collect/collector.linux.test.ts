import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeFiles } from '../testing/fake-files.js';
import { FakeRunner, fail, ok } from '../testing/fake-runner.js';
import { readTestdata } from '../testing/testdata.js';
import {
  linuxCollector,
  LinuxProcfsCollector,
  LinuxSsCollector,
  LinuxSsUsersCollector,
} from './collector.linux.js';
import { LinuxProcessInfo } from './procinfo.linux.js';

/** The python3 process (pid 11273) that held the fixture's sockets (fds 5–13, see ss-tunapOH.out). */
function tree(): FakeFiles {
  const files = new FakeFiles()
    .file('/etc/passwd', 'root:x:0:0::/root:/bin/sh\n')
    .link('/proc/11273/exe', '/usr/bin/python3.11')
    .file('/proc/11273/comm', 'python3\n')
    .file('/proc/11273/status', 'Uid:\t0\t0\t0\t0\n');
  const inodes = [1181031, 1181032, 1181033, 1181034, 1181035, 1181036, 1181037, 1181038];
  inodes.forEach((inode, i) => files.link(`/proc/11273/fd/${5 + i}`, `socket:[${inode}]`));
  for (const n of ['tcp', 'tcp6', 'udp', 'udp6'])
    files.file(`/proc/net/${n}`, readTestdata(`linux/proc-net-${n}.out`));
  return files;
}

const python = { name: 'python3.11', path: '/usr/bin/python3.11', user: 'root' };
const key = (s: { proto: string; local: { port: number }; remote: { port: number } }) =>
  `${s.proto}:${s.local.port}>${s.remote.port}`;

test('ss collector: sock_diag list + inode owners + app', async () => {
  const runner = new FakeRunner().on('ss -tunOHe', readTestdata('linux/ss-tunOHe.out'));
  const files = tree();
  const c = new LinuxSsCollector(
    runner,
    files,
    new LinuxProcessInfo(files, new FakeClock()),
    new FakeClock(),
  );
  const owners = await c.snapshot();
  assert.equal(owners.length, 8);
  assert.ok(owners.every((o) => o.pid === 11273 && !o.listening));
  assert.deepEqual(owners[0]?.app, python);
  assert.deepEqual(runner.lines(), ['ss -tunOHe state connected exclude time-wait']);
});

test('the three methods see the same sockets in the same fixture moment', async () => {
  const clock = new FakeClock();
  const files = tree();
  const runner = new FakeRunner()
    .on('ss -tunOHe', readTestdata('linux/ss-tunOHe.out'))
    .on('ss -tunpOH', readTestdata('linux/ss-tunpOH.out'));
  const info = () => new LinuxProcessInfo(files, clock);
  const a = await new LinuxSsCollector(runner, files, info(), clock).snapshot();
  const b = await new LinuxSsUsersCollector(runner, info()).snapshot();
  const c = await new LinuxProcfsCollector(files, info(), clock).snapshot();
  const sorted = (xs: typeof a) => xs.map(key).sort();
  assert.deepEqual(sorted(a), sorted(b));
  assert.deepEqual(sorted(a), sorted(c));
  assert.deepEqual(c.find((o) => o.proto === 'udp')?.app, python);
});

test('sockets without a visible owner are left out', async () => {
  const files = tree();
  files.remove('/proc/11273/fd/');
  const runner = new FakeRunner().on('ss -tunOHe', readTestdata('linux/ss-tunOHe.out'));
  const clock = new FakeClock();
  const c = new LinuxSsCollector(runner, files, new LinuxProcessInfo(files, clock), clock);
  assert.deepEqual(await c.snapshot(), []);
});

test('a failing ss is an error the agent logs; no ss at all means procfs', async () => {
  const clock = new FakeClock();
  const files = tree();
  const broken = new FakeRunner()
    .on('ss -V', ok('ss utility, iproute2-6.1.0'))
    .on('ss', fail('Cannot open netlink'));
  const c = await linuxCollector({ runner: broken, files, clock });
  assert.equal(c.name, 'linux/ss');
  await assert.rejects(c.snapshot(), /Cannot open netlink/);
  const none = new FakeRunner();
  assert.equal((await linuxCollector({ runner: none, files, clock })).name, 'linux/procfs');
  assert.equal(
    (await linuxCollector({ runner: none, files, clock, linuxMethod: 'ss-users' })).name,
    'linux/procfs',
  );
});
