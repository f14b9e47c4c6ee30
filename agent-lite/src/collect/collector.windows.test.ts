import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeRunner, fail } from '../testing/fake-runner.js';
import { readTestdata } from '../testing/testdata.js';
import { WindowsCollector } from './collector.windows.js';

test('netstat each poll, PowerShell once per new pid, System (4) and Idle (0) left out', async () => {
  const runner = new FakeRunner()
    .on('netstat -ano', readTestdata('windows/netstat-ano.out'))
    .on('powershell.exe', readTestdata('windows/get-process.json.out'));
  const c = new WindowsCollector(runner, new FakeClock());
  const owners = await c.snapshot();
  assert.ok(owners.every((o) => o.pid !== 4 && o.pid !== 0));
  const chrome = owners.find((o) => o.pid === 5236);
  assert.equal(chrome?.app.name, 'Google Chrome');
  assert.equal(c.malformed.length, 2);
  await c.snapshot();
  assert.deepEqual(
    runner.lines().map((l) => l.split(' ')[0]),
    ['netstat', 'powershell.exe', 'netstat'],
  );
  const ps = runner.calls[1];
  assert.deepEqual(ps?.args.slice(0, 5), [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-Command',
  ]);
  assert.match(ps?.args[5] ?? '', /@\(1044,3720,5236,7420,2344\)/);
});

test('tasklist names the processes when PowerShell fails', async () => {
  const runner = new FakeRunner()
    .on('netstat -ano', readTestdata('windows/netstat-ano.out'))
    .on('powershell.exe', fail('powershell is disabled by policy'))
    .on('tasklist', readTestdata('windows/tasklist.csv.out'));
  const owners = await new WindowsCollector(runner, new FakeClock()).snapshot();
  assert.deepEqual(owners.find((o) => o.pid === 7420)?.app, { name: 'firefox' });
});
