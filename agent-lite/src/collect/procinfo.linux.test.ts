import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeFiles } from '../testing/fake-files.js';
import { readTestdata } from '../testing/testdata.js';
import { appFromExe, LinuxProcessInfo, parsePasswd, parseStatusUid } from './procinfo.linux.js';

test('parsePasswd skips comments and broken lines', () => {
  const users = parsePasswd(readTestdata('linux/passwd.out'));
  assert.deepEqual(
    [...users],
    [
      [0, 'root'],
      [1000, 'alice'],
      [106, 'rabbitmq'],
    ],
  );
});

test('parseStatusUid reads the real uid', () => {
  assert.equal(parseStatusUid(readTestdata('linux/proc-pid-status.out')), 1000);
  assert.equal(parseStatusUid('Name:\tx\n'), null);
});

test('appFromExe: base name, "(deleted)" dropped', () => {
  assert.deepEqual(appFromExe('/usr/bin/curl'), { name: 'curl', path: '/usr/bin/curl' });
  assert.deepEqual(appFromExe('/opt/app/bin/app (deleted)'), { name: 'app', path: '/opt/app/bin/app' });
});

function tree(): FakeFiles {
  return new FakeFiles()
    .file('/etc/passwd', readTestdata('linux/passwd.out'))
    .link('/proc/2201/exe', '/usr/bin/curl')
    .file('/proc/2201/comm', 'curl\n')
    .file('/proc/2201/status', readTestdata('linux/proc-pid-status.out'))
    .file('/proc/77/comm', 'kworker/0:1\n')
    .file('/proc/77/status', 'Name:\tx\nUid:\t424242\t0\t0\t0\n');
}

test('an app from exe, its user from status and passwd; comm when exe is unreadable', async () => {
  const info = new LinuxProcessInfo(tree(), new FakeClock());
  assert.deepEqual(await info.app(2201), { name: 'curl', path: '/usr/bin/curl', user: 'alice' });
  assert.deepEqual(await info.app(77), { name: 'kworker/0:1', user: '424242' });
  assert.equal(await info.app(999), null);
});

test('cached per pid until it leaves the live set; passwd read once for concurrent lookups', async () => {
  const files = tree();
  const info = new LinuxProcessInfo(files, new FakeClock());
  await Promise.all([info.app(2201), info.app(77)]);
  const reads = files.reads;
  await info.app(2201);
  assert.equal(files.reads, reads, 'second lookup from the cache');
  info.retain(new Set([77]));
  await info.app(2201);
  assert.ok(files.reads > reads, 'forgotten pid read again');
});
