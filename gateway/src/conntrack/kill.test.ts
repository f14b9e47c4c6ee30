import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner, RunOptions, RunResult } from '../os/runner.js';
import { readTestdata } from '../testing/fixtures.js';
import { killFlows, killFlowsArgs, parseDeletedCount } from './kill.js';

test('parses the summary line conntrack -D writes to stderr (captured from conntrack 1.4.7)', () => {
  assert.equal(parseDeletedCount(readTestdata(import.meta.url, 'delete-3-stderr.txt')), 3);
  assert.equal(parseDeletedCount(readTestdata(import.meta.url, 'delete-0-stderr.txt')), 0);
  assert.equal(parseDeletedCount(readTestdata(import.meta.url, 'delete-invalid-stderr.txt')), null);
  assert.equal(parseDeletedCount(''), null);
});

test('arguments: original-direction source and destination, IPv6 flagged, families must agree', () => {
  assert.deepEqual(killFlowsArgs({ src: '192.168.77.11' }), ['-D', '-s', '192.168.77.11']);
  assert.deepEqual(killFlowsArgs({ src: '192.168.77.11', dst: '198.18.0.10' }), [
    '-D',
    '-s',
    '192.168.77.11',
    '-d',
    '198.18.0.10',
  ]);
  assert.deepEqual(killFlowsArgs({ src: 'fd77:77::11', dst: '2001:db8:77::10' }), [
    '-D',
    '-f',
    'ipv6',
    '-s',
    'fd77:77::11',
    '-d',
    '2001:db8:77::10',
  ]);
  assert.deepEqual(killFlowsArgs({ src: '192.168.77.11', dst: '198.18.0.10', markBits: 0x4000_0000 }), [
    '-D',
    '-s',
    '192.168.77.11',
    '-d',
    '198.18.0.10',
    '--mark',
    '0x40000000/0x40000000',
  ]);
  assert.throws(() => killFlowsArgs({ src: '' }), /src is not an IP address/);
  assert.throws(() => killFlowsArgs({ src: '192.168.77.11', dst: '2001:db8::1' }), /not an IPv4 address/);
});

/** conntrack stand-in: answers per source address, tracks how many run at once. */
class FakeConntrack implements CommandRunner {
  running = 0;
  maxRunning = 0;
  readonly calls: Array<{ args: readonly string[]; netns?: string }> = [];
  constructor(private readonly answer: (args: readonly string[]) => RunResult) {}
  async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    assert.equal(cmd, 'conntrack');
    this.calls.push({ args, netns: opts.netns });
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    await new Promise((r) => setTimeout(r, 5));
    this.running--;
    return this.answer(args);
  }
  spawn(): never {
    throw new Error('not used');
  }
}

const deleted = (n: number): RunResult => ({
  stdout: '',
  stderr: `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been deleted.\n`,
  code: n === 0 ? 1 : 0,
});

test('runs selectors in parallel up to the cap, sums the counts; exit 1 with "0 deleted" is no error', async () => {
  const fake = new FakeConntrack((args) => deleted(args.includes('198.18.0.10') ? 2 : 0));
  const selectors = Array.from({ length: 10 }, (_, i) => ({
    src: `192.168.77.${11 + i}`,
    dst: '198.18.0.10',
  }));
  selectors.push({ src: '192.168.77.11', dst: '198.18.0.11' }, { src: '192.168.77.11', dst: '198.18.0.11' });
  const n = await killFlows(fake, selectors, { netns: 'pp-gw', concurrency: 3 });
  assert.equal(n, 20);
  assert.equal(fake.calls.length, 11, 'duplicates run once');
  assert.equal(fake.maxRunning, 3);
  assert.ok(fake.calls.every((c) => c.netns === 'pp-gw'));
  assert.equal(await killFlows(fake, []), 0);
});

test('a failing selector does not stop the others; all failures are reported together', async () => {
  const fake = new FakeConntrack((args) =>
    args.includes('192.168.77.12')
      ? { stdout: '', stderr: readTestdata(import.meta.url, 'delete-invalid-stderr.txt'), code: 2 }
      : deleted(1),
  );
  await assert.rejects(
    killFlows(fake, [{ src: '192.168.77.11' }, { src: '192.168.77.12' }, { src: '192.168.77.13' }]),
    /^Error: kill flows: 1 of 3 failed \(2 deleted\): conntrack -D -s 192\.168\.77\.12 exited 2: .*Invalid IP address/,
  );
  assert.equal(fake.calls.length, 3);
  await assert.rejects(killFlows(fake, [{ src: 'nope' }]), /src is not an IP address/);
});
