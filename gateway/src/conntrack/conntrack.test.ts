import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import type { CommandRunner, RunResult } from '../os/runner.js';
import { readTestdata } from '../testing/fixtures.js';
import { ConntrackCli } from './conntrack.js';
import type { FlowEvent } from './flow.js';
import { checkConntrack } from './health.js';

class FakeChild extends EventEmitter {
  stdout = new PassThrough();
  stderr = new PassThrough();
  exitCode: number | null = null;
  kill(): boolean {
    this.end(null, 'SIGTERM');
    return true;
  }
  end(code: number | null, signal: string | null = null): void {
    this.exitCode = code;
    this.stdout.end();
    this.stderr.end();
    this.emit('close', code, signal);
  }
}

class FakeRunner implements CommandRunner {
  calls: Array<{ cmd: string; args: readonly string[]; netns?: string }> = [];
  children: FakeChild[] = [];
  constructor(
    private readonly reply: (args: readonly string[]) => RunResult = () => ({
      stdout: '',
      stderr: '',
      code: 0,
    }),
  ) {}
  run(cmd: string, args: readonly string[], opts?: { netns?: string }): Promise<RunResult> {
    this.calls.push({ cmd, args, netns: opts?.netns });
    return Promise.resolve(this.reply(args));
  }
  spawn(cmd: string, args: readonly string[], opts?: { netns?: string }): ChildProcess {
    this.calls.push({ cmd, args, netns: opts?.netns });
    const c = new FakeChild();
    this.children.push(c);
    return c as unknown as ChildProcess;
  }
}

const until = async (what: string, ok: () => boolean): Promise<void> => {
  const end = Date.now() + 2000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('flows() runs one dump in the netns and parses it', async () => {
  const dump = readTestdata(import.meta.url, 'dump-extended-id.txt');
  const r = new FakeRunner(() => ({
    stdout: dump,
    stderr: 'conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.\n',
    code: 0,
  }));
  const flows = await new ConntrackCli(r, { netns: 'ns1' }).flows();
  assert.equal(flows.length, 4);
  assert.deepEqual(r.calls[0], { cmd: 'conntrack', args: ['-L', '-o', 'extended,id'], netns: 'ns1' });
});

test('flows() failure carries context', async () => {
  const r = new FakeRunner(() => ({ stdout: '', stderr: 'Operation not permitted', code: 1 }));
  await assert.rejects(
    new ConntrackCli(r).flows(),
    /dump conntrack table: conntrack -L .* Operation not permitted/,
  );
});

test('event stream: events, parse errors, ENOBUFS → overrun, exit → restart', async () => {
  const r = new FakeRunner();
  const s = new ConntrackCli(r, { netns: 'ns1', bufferSize: 1 << 20, restartDelayMs: 1 }).events();
  const got: FlowEvent[] = [];
  let overruns = 0;
  const errors: string[] = [];
  s.on('event', (e) => got.push(e));
  s.on('overrun', () => overruns++);
  s.on('parseError', (e) => errors.push(e.error));
  assert.deepEqual(r.calls[0]!.args, [
    '-E',
    '-e',
    'NEW,DESTROY',
    '-o',
    'timestamp,extended,id',
    '--buffer-size',
    '1048576',
  ]);
  const c0 = r.children[0]!;
  c0.stdout.write(readTestdata(import.meta.url, 'events-new-destroy.txt'));
  c0.stdout.write('garbage line\n');
  c0.stderr.write('WARNING: We have hit ENOBUFS! We are losing events.\n');
  await until('events', () => got.length === 2 && overruns === 1 && errors.length === 1);
  assert.deepEqual(
    got.map((e) => e.type),
    ['DESTROY', 'DESTROY'],
  );
  c0.end(1);
  await until('restart', () => r.children.length === 2);
  s.close();
  assert.equal(r.children[1]!.stdout.writableEnded, true, 'close kills the child');
  await new Promise((res) => setTimeout(res, 20));
  assert.equal(r.children.length, 2, 'no restart after close');
});

test('deleteFlows builds the filter and reads the count from stderr', async () => {
  const r = new FakeRunner((args) =>
    args.includes('9999')
      ? {
          stdout: '',
          stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
          code: 1,
        }
      : {
          stdout: 'tcp 6 …\n',
          stderr: 'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been deleted.\n',
          code: 0,
        },
  );
  const ct = new ConntrackCli(r);
  assert.equal(await ct.deleteFlows({ src: '198.18.1.2', proto: 'tcp', dport: 443 }), 2);
  assert.deepEqual(r.calls[0]!.args, ['-D', '-s', '198.18.1.2', '-p', 'tcp', '--dport', '443']);
  assert.equal(await ct.deleteFlows({ dst: 'fd00::1', proto: 'tcp', dport: 9999 }), 0);
  assert.deepEqual(r.calls[1]!.args, ['-D', '-f', 'ipv6', '-d', 'fd00::1', '-p', 'tcp', '--dport', '9999']);
  await assert.rejects(ct.deleteFlows({}), /refusing an empty filter/);
  await assert.rejects(ct.deleteFlows({ src: '1.2.3.4', dport: 1 }), /dport needs proto/);
});

test('checkConntrack reports acct off and events off', async () => {
  const bad = new FakeRunner(() => ({
    stdout: 'net.netfilter.nf_conntrack_acct = 0\nnet.netfilter.nf_conntrack_events = 0\n',
    stderr: '',
    code: 0,
  }));
  assert.deepEqual(
    (await checkConntrack(bad)).map((p) => p.code),
    ['conntrack_acct_off', 'conntrack_events_off'],
  );
  const good = new FakeRunner(() => ({
    stdout: 'net.netfilter.nf_conntrack_acct = 1\nnet.netfilter.nf_conntrack_events = 2\n',
    stderr: '',
    code: 0,
  }));
  assert.deepEqual(await checkConntrack(good), []);
  const none = new FakeRunner(() => ({
    stdout: '',
    stderr: 'sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_acct',
    code: 255,
  }));
  assert.deepEqual(
    (await checkConntrack(none)).map((p) => p.code),
    ['conntrack_unavailable'],
  );
});
