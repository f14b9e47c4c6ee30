import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentFlows } from '@packetpilot/protocol';
import { Agent } from './agent.js';
import type { AppBlocker } from './block/blocker.js';
import type { SocketOwner } from './collect/collector.js';
import { FlowBatcher } from './flows/batcher.js';
import { FakeClock } from './testing/fake-clock.js';
import { owner } from './testing/builders.js';
import { captureLogger } from './testing/logger.js';

test('polls every 100 ms, enforces on each snapshot, reports changes, logs a failing collector once', async () => {
  const clock = new FakeClock();
  const cap = captureLogger();
  let snapshot: SocketOwner[] | Error = [owner({ sport: 1 })];
  const collector = {
    name: 'test',
    snapshot: async () => {
      if (snapshot instanceof Error) throw snapshot;
      return snapshot;
    },
  };
  const enforced: number[] = [];
  const applied: string[][] = [];
  const blocker: AppBlocker = {
    mode: 'enforced',
    apply: async (apps) => void applied.push([...apps]),
    enforce: async (owners) => void enforced.push(owners.length),
    cleanup: async () => undefined,
    close: () => undefined,
  };
  const reports: AgentFlows[] = [];
  let seq = 0;
  const batcher = new FlowBatcher({ clock, nextSeq: () => seq++, emit: (r) => reports.push(r) });
  const agent = new Agent({ collector, blocker, batcher, clock, log: cap.log });
  await agent.setPolicy(['steam']);
  agent.start();
  await clock.advance(1);
  assert.equal(agent.stats.polls, 1);
  await clock.advance(300);
  assert.equal(agent.stats.polls, 4);
  assert.equal(reports.length, 1);
  assert.deepEqual(
    reports[0]?.opened.map((o) => o.sport),
    [1],
  );
  snapshot = new Error('ss exited 1: Cannot open netlink socket');
  await clock.advance(1000);
  assert.equal(agent.stats.pollErrors, 10);
  assert.equal(cap.lines().filter((l) => l.msg === 'socket snapshot failed').length, 1);
  snapshot = [];
  await clock.advance(400);
  await agent.stop();
  assert.deepEqual(
    reports.at(-1)?.closed.map((c) => c.sport),
    [1],
  );
  assert.deepEqual(applied, [['steam']]);
  assert.ok(enforced.length >= 5);
  const polls = agent.stats.polls;
  await clock.advance(1000);
  assert.equal(agent.stats.polls, polls, 'stopped');
});
