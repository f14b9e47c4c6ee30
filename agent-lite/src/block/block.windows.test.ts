import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../log.js';
import { owner } from '../testing/builders.js';
import { FakeRunner, fail, ok } from '../testing/fake-runner.js';
import {
  netshAddArgs,
  netshDeleteArgs,
  ruleName,
  WindowsBlocker,
  type FirewallRules,
} from './block.windows.js';

const chromePath = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
const chrome = owner({ pid: 5236, app: { name: 'Google Chrome', path: chromePath } });

test('netsh command lines', () => {
  assert.equal(
    ['netsh', ...netshAddArgs('Google Chrome', chromePath)].join(' '),
    'netsh advfirewall firewall add rule name="PacketPilot block Google Chrome" dir=out ' +
      'program="C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" action=block',
  );
  assert.equal(
    ['netsh', ...netshDeleteArgs('Google Chrome')].join(' '),
    'netsh advfirewall firewall delete rule name="PacketPilot block Google Chrome"',
  );
  assert.equal(ruleName('evil" dir=in "x\n'), 'PacketPilot block evil dir=in x');
});

function setup(runner = new FakeRunner().on('netsh', ok('Ok.'))) {
  let saved: FirewallRules = {};
  const blocker = new WindowsBlocker({
    runner,
    log: silentLogger(),
    loadRules: async () => structuredClone(saved),
    saveRules: async (r) => void (saved = structuredClone(r)),
  });
  return { runner, blocker, saved: () => saved };
}

test('a rule per executable path once the app is seen; removed when unblocked', async () => {
  const { runner, blocker, saved } = setup();
  await blocker.apply(['google chrome']);
  assert.equal(runner.calls.length, 0, 'no path known yet');
  await blocker.enforce([chrome, owner()]);
  await blocker.enforce([chrome]);
  assert.deepEqual(saved(), { 'google chrome': [chromePath] });
  assert.equal(runner.calls.length, 1);
  assert.equal(runner.calls[0]?.verbatim, true);
  await blocker.apply([]);
  assert.deepEqual(runner.calls.at(-1)?.args, netshDeleteArgs('google chrome'));
  assert.deepEqual(saved(), {});
  await blocker.apply(['Google Chrome']);
  assert.deepEqual(
    runner.calls.at(-1)?.args,
    netshAddArgs('Google Chrome', chromePath),
    'known path: rule at once',
  );
  await blocker.cleanup();
  assert.deepEqual(saved(), {});
});

test('netsh without elevation → unavailable', async () => {
  const runner = new FakeRunner().on(
    'netsh',
    fail('The requested operation requires elevation (Run as administrator).'),
  );
  const { blocker } = setup(runner);
  await blocker.apply(['Google Chrome']);
  await blocker.enforce([chrome]);
  assert.equal(blocker.mode, 'unavailable');
});
