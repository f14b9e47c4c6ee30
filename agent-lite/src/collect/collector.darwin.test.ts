import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeRunner } from '../testing/fake-runner.js';
import { readTestdata } from '../testing/testdata.js';
import { DarwinCollector } from './collector.darwin.js';

test('lsof each poll, ps once for new pids; apps from bundles', async () => {
  const runner = new FakeRunner().on('lsof', readTestdata('darwin/lsof-F.out')).on('ps', (call) => ({
    stdout: readTestdata('darwin/ps-comm.out'),
    stderr: '',
    code: call.args.length ? 1 : 0,
  }));
  const c = new DarwinCollector(runner, new FakeClock());
  const owners = await c.snapshot();
  assert.equal(owners.length, 8);
  assert.equal(owners.find((o) => o.pid === 1201)?.app.name, 'Google Chrome');
  assert.equal(owners.find((o) => o.local.port === 7000)?.listening, true);
  assert.deepEqual(runner.calls[1]?.args, ['-o', 'pid=,user=,comm=', '-p', '412,88,1201']);
  await c.snapshot();
  assert.equal(runner.calls.filter((call) => call.cmd === 'ps').length, 1);
});

test('lsof exiting 1 with nothing to list is an empty snapshot; other failures throw', async () => {
  const empty = new FakeRunner().on('lsof', { stdout: '', stderr: '', code: 1 });
  assert.deepEqual(await new DarwinCollector(empty, new FakeClock()).snapshot(), []);
  const broken = new FakeRunner().on('lsof', { stdout: '', stderr: 'lsof: WARNING', code: 2 });
  await assert.rejects(new DarwinCollector(broken, new FakeClock()).snapshot(), /exited 2/);
});
