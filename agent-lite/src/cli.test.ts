import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.js';
import { currentMachine } from './client/hello.js';
import { fakeConnect } from './testing/fake-socket.js';
import { FakeClock } from './testing/fake-clock.js';
import { FakeFiles } from './testing/fake-files.js';
import { FakeRunner } from './testing/fake-runner.js';
import { owner } from './testing/builders.js';
import { ReportOnlyBlocker } from './block/blocker.js';
import { silentLogger } from './log.js';
import type { RuntimeDeps } from './run.js';

function deps(over: Partial<RuntimeDeps> = {}): RuntimeDeps {
  return {
    platform: 'linux',
    runner: new FakeRunner(),
    files: new FakeFiles(),
    clock: new FakeClock(),
    fetch: (async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    }) as unknown as typeof fetch,
    connect: fakeConnect().connect,
    machine: currentMachine,
    log: silentLogger(),
    signal: new AbortController().signal,
    blocker: new ReportOnlyBlocker(silentLogger(), 'linux'),
    ...over,
  };
}

async function cli(argv: string[], d: RuntimeDeps = deps()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, d, {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    env: {},
  });
  return { code, out: out.join(''), err: err.join('') };
}

test('--help and --version', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--gateway URL --enroll CODE/);
  assert.equal((await cli(['-v'])).out, '0.1.0\n');
});

test('usage errors exit 2 with one clear line', async () => {
  const cases: [string[], RegExp][] = [
    [['--gateway', 'gw:8080', '--enroll', 'X'], /--gateway must start with http:\/\/ or https:\/\//],
    [['--enroll', 'ABCDE-FGHJK'], /--enroll needs --gateway URL/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--poll-ms', '5'], /--poll-ms takes/],
    [['--collector', 'magic'], /--collector is ss, ss-users or procfs/],
    [['--name', 'x'], /--name and --enroll-only are used with --enroll/],
    [['--enroll-only'], /--name and --enroll-only are used with --enroll/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, message);
  }
});

test('not enrolled: exit 2 and what to do', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ppal-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await cli(['--state-dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.err, /not enrolled .*run packetpilot-agent --gateway URL --enroll CODE first/);
});

test('unsupported OS: said plainly', async () => {
  const r = await cli(['--once'], deps({ platform: 'freebsd' }));
  assert.equal(r.code, 2);
  assert.match(r.err, /not supported on freebsd/);
});

test('--once prints one snapshot as JSON', async () => {
  const collector = { name: 'test', snapshot: async () => [owner()] };
  const r = await cli(['--once'], deps({ collector }));
  assert.equal(r.code, 0);
  assert.equal((JSON.parse(r.out) as { pid: number }[])[0]?.pid, 2201);
});

test('an unreachable gateway during enrollment is retried until stopped', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ppal-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new FakeClock();
  const stop = new AbortController();
  let calls = 0;
  const fetch = (async () => {
    calls++;
    throw new TypeError('fetch failed', { cause: { code: 'EHOSTUNREACH' } });
  }) as unknown as typeof globalThis.fetch;
  const run = cli(
    ['--gateway', 'http://10.0.0.1:8080', '--enroll', 'ABCDE-FGHJK', '--state-dir', dir],
    deps({ clock, fetch, signal: stop.signal, random: () => 0.5 }),
  );
  const waitCalls = async (n: number) => {
    while (calls < n) await new Promise((r) => setTimeout(r, 5));
  };
  await waitCalls(1);
  for (const [step, n] of [
    [1000, 2],
    [2000, 3],
    [4000, 4],
  ] as const) {
    await clock.advance(step - 1);
    assert.equal(calls, n - 1);
    await clock.advance(1);
    await waitCalls(n);
  }
  stop.abort();
  const r = await run;
  assert.equal(r.code, 0, 'a stop is a stop, not a failure');
  assert.match(r.err, /stopped before enrollment finished/);
});
