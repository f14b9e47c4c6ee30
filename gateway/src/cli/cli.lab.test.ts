/** The CLI's errors as a user sees them: exit code and one clear line, no stack trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRunner } from '../os/runner.js';
import { CLI } from '../testing/gateway-process.js';
import { requireRootOrSkip } from '../testing/fixtures.js';

const skip = requireRootOrSkip();

const run = (cmd: string, args: string[], input = '') => systemRunner.run(cmd, args, { input });

test('a missing interface is named in a one-line error', { skip }, async () => {
  const r = await run(process.execPath, [
    CLI,
    'gateway',
    '--lan',
    'nosuch0',
    '--wan',
    'lo',
    '--data-dir',
    '/tmp/pp-unused',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^packetpilot: --lan nosuch0: no such network interface/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('without root the gateway says it needs root', { skip }, async () => {
  const r = await run('setpriv', [
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    process.execPath,
    CLI,
    'gateway',
    '--lan',
    'lo',
    '--wan',
    'lo2',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /needs root/);
});

test('bad URLs, unknown commands and missing flags are usage errors (exit 2)', async () => {
  for (const [args, expected] of [
    [
      ['gateway', '--lan', 'a', '--wan', 'b', '--database-url', 'mysql://x@y/z'],
      /expected a postgres:\/\/ URL/,
    ],
    [['gateway', '--lan', 'a'], /--wan IF is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['gateway', '--lan', 'a', '--wan', 'b', '--colour'], /Unknown option '--colour'/],
    [
      ['admin', 'create', '--username', 'x', '--role', 'root', '--password-stdin'],
      /--role must be admin, operator or viewer/,
    ],
  ] as const) {
    const r = await run(process.execPath, [CLI, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
  }
});

test('admin create refuses a short password and a duplicate user', { skip }, async () => {
  const dir = `/tmp/pp-cli-test-${process.pid}`;
  const create = (pw: string) =>
    run(
      process.execPath,
      [CLI, 'admin', 'create', '--username', 'Owner', '--password-stdin', '--data-dir', dir],
      pw,
    );
  try {
    let r = await create('short');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /at least 10 characters/);
    r = await create('long enough password\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created admin owner/);
    r = await create('another long password');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /user owner already exists/);
  } finally {
    await run('rm', ['-rf', dir]);
  }
});
