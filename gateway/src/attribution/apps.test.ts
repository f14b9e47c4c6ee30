import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppFlows } from './apps.js';

const opened = (src: string, sport: number, app: string) => ({
  proto: 'tcp' as const,
  src,
  sport,
  dst: '198.18.0.1',
  dport: 80,
  pid: 42,
  app: { name: app },
});
const delta = (src: string, sport: number) => ({
  proto: 'tcp',
  origSrc: src,
  origSport: sport,
  origDst: '198.18.0.1',
  origDport: 80,
});

test("an agent's 5-tuple names the conntrack flow with the same original tuple", () => {
  const apps = new AppFlows();
  apps.ingest({ agentId: 1, deviceId: 7 }, {
    type: 'flows',
    seq: 1,
    opened: [opened('192.168.77.11', 40000, 'curl')],
    closed: [],
  } as never);
  apps.ingest({ agentId: 1, deviceId: 7 }, {
    type: 'flows',
    seq: 2,
    opened: [opened('::ffff:192.168.77.11', 40001, 'node')],
    closed: [],
  } as never);
  assert.equal(apps.appFor(delta('192.168.77.11', 40000)), 'curl');
  assert.equal(
    apps.appFor(delta('192.168.77.11', 40001)),
    'node',
    'dual-stack sockets report v4-mapped addresses',
  );
  assert.equal(apps.appFor(delta('192.168.77.11', 40002)), null);
  assert.equal(apps.hasAgent(7), true);
  assert.equal(apps.hasAgent(8), false);
});

test('closed connections are kept for a grace period, then forgotten; the table is bounded', () => {
  let now = 1_000_000;
  const apps = new AppFlows({ closedGraceMs: 1000, maxFlows: 2, agentSilenceMs: 5000, now: () => now });
  const agent = { agentId: 1, deviceId: 7 };
  apps.ingest(agent, {
    type: 'flows',
    seq: 1,
    opened: [opened('192.168.77.11', 1, 'a')],
    closed: [],
  } as never);
  apps.ingest(agent, {
    type: 'flows',
    seq: 2,
    opened: [],
    closed: [{ ...opened('192.168.77.11', 1, 'a'), app: undefined }],
  } as never);
  now += 500;
  assert.equal(apps.appFor(delta('192.168.77.11', 1)), 'a', 'conntrack may flush a little after the close');
  now += 1000;
  apps.ingest(agent, {
    type: 'flows',
    seq: 3,
    opened: [opened('192.168.77.11', 2, 'b')],
    closed: [],
  } as never);
  assert.equal(apps.appFor(delta('192.168.77.11', 1)), null);
  apps.ingest(agent, {
    type: 'flows',
    seq: 4,
    opened: [opened('192.168.77.11', 3, 'c'), opened('192.168.77.11', 4, 'd')],
    closed: [],
  } as never);
  assert.equal(apps.size, 2);
  assert.equal(apps.appFor(delta('192.168.77.11', 4)), 'd');
  now += 6000;
  assert.equal(apps.hasAgent(7), false, 'a silent agent no longer holds flows back');
});
