import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentFlows } from '@packetpilot/protocol';
import { silentLogger } from '../log.js';
import { FakeClock } from '../testing/fake-clock.js';
import { Outbox } from './outbox.js';

function report(seq: number, flows = 1): AgentFlows {
  return {
    type: 'flows',
    seq,
    opened: Array.from({ length: flows }, (_, i) => ({
      proto: 'tcp' as const,
      src: '10.0.0.2',
      sport: 40000 + i,
      dst: '1.2.3.4',
      dport: 443,
      app: { name: 'curl' },
    })),
    closed: [],
  };
}

async function withDir(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ppal-outbox-'));
  try {
    await fn(join(dir, 'outbox.jsonl'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

test('acknowledged within a second: never written; later: written, reloaded after a restart', () =>
  withDir(async (file) => {
    const clock = new FakeClock();
    const box = await Outbox.open({ file, clock, log: silentLogger() });
    box.add(report(1));
    box.ack(1);
    await clock.advance(5000);
    assert.deepEqual(await lines(file), []);
    box.add(report(2));
    box.add(report(3));
    await clock.advance(1000);
    await box.persist();
    assert.equal((await lines(file)).length, 2);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await Outbox.open({ file, clock, log: silentLogger() });
    assert.deepEqual(
      [...again.entries()].map((e) => e.seq),
      [2, 3],
    );
    assert.equal(again.maxSeq, 3);
  }));

test('acked lines leave the file: truncated when nothing waits, rewritten past the stale limit', () =>
  withDir(async (file) => {
    const clock = new FakeClock();
    const box = await Outbox.open({ file, clock, log: silentLogger(), compactAfterBytes: 400 });
    for (let s = 1; s <= 6; s++) box.add(report(s));
    await box.close();
    assert.equal((await lines(file)).length, 6);
    box.ack(1);
    box.ack(2);
    await box.persist();
    assert.equal((await lines(file)).length, 6, 'a little stale data stays');
    box.ack(3);
    box.ack(4);
    await box.persist();
    assert.deepEqual(
      (await lines(file)).map((l) => (JSON.parse(l) as AgentFlows).seq),
      [5, 6],
    );
    box.ack(5);
    box.ack(6);
    await clock.advance(1000);
    await box.persist();
    assert.deepEqual(await lines(file), []);
  }));

test('bounded: the oldest reports are dropped and counted (by count and by bytes)', () =>
  withDir(async (file) => {
    const clock = new FakeClock();
    const byCount = await Outbox.open({ file, clock, log: silentLogger(), maxReports: 3 });
    for (let s = 1; s <= 5; s++) byCount.add(report(s, 2));
    assert.deepEqual(
      [...byCount.entries()].map((e) => e.seq),
      [3, 4, 5],
    );
    assert.deepEqual([byCount.dropped, byCount.droppedFlows], [2, 4]);

    const one = Buffer.byteLength(JSON.stringify(report(10))) + 1;
    const byBytes = await Outbox.open({
      file: `${file}.2`,
      clock,
      log: silentLogger(),
      maxBytes: one * 4 + 10,
    });
    for (let s = 10; s < 20; s++) byBytes.add(report(s));
    assert.equal(byBytes.size, 4);
    assert.ok(byBytes.bytes <= one * 4 + 10);
    assert.equal(byBytes.dropped, 6);
    await byBytes.close();
    const reloaded = await Outbox.open({ file: `${file}.2`, clock, log: silentLogger(), maxBytes: one * 2 });
    assert.equal(reloaded.size, 2, 'limits hold for what is loaded too');
  }));

test('10 000 reports and 5 MiB by default; the file stays within the bound', () =>
  withDir(async (file) => {
    const clock = new FakeClock();
    const box = await Outbox.open({ file, clock, log: silentLogger() });
    for (let s = 0; s < 12_000; s++) box.add(report(s, 3));
    assert.equal(box.size, 10_000);
    assert.equal(box.dropped, 2000);
    await box.close();
    const size = (await stat(file)).size;
    assert.ok(size <= 6 * 1024 * 1024, `${size}`);
    const big = await Outbox.open({ file: `${file}.big`, clock, log: silentLogger() });
    for (let s = 0; s < 3000; s++) big.add(report(s, 20));
    assert.ok(big.bytes <= 5 * 1024 * 1024);
    assert.ok(big.dropped > 0);
  }));

test('unreadable lines are skipped on load; a failing disk keeps reports in memory', () =>
  withDir(async (file) => {
    await writeFile(
      file,
      `${JSON.stringify(report(7))}\nnot json\n{"type":"flows"}\n${JSON.stringify(report(8))}\n`,
    );
    const clock = new FakeClock();
    const box = await Outbox.open({ file, clock, log: silentLogger() });
    assert.deepEqual(
      [...box.entries()].map((e) => e.seq),
      [7, 8],
    );
    const nowhere = await Outbox.open({
      file: '/proc/ppal-no-such-dir/outbox.jsonl',
      clock,
      log: silentLogger(),
    });
    nowhere.add(report(1));
    await nowhere.close();
    assert.equal(nowhere.size, 1);
  }));
