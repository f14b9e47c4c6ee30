import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentFlows, AgentHello } from '@packetpilot/protocol';
import { silentLogger, type Logger } from '../log.js';
import { Outbox } from '../report/outbox.js';
import { FakeClock } from '../testing/fake-clock.js';
import { fakeConnect } from '../testing/fake-socket.js';
import { captureLogger } from '../testing/logger.js';
import { Backoff } from './backoff.js';
import { GatewayClient } from './client.js';

const HELLO: AgentHello = { type: 'hello', version: '0.1.0', os: 'Linux', hostname: 'pc', interfaces: [] };

function report(seq: number): AgentFlows {
  return {
    type: 'flows',
    seq,
    opened: [
      {
        proto: 'tcp',
        src: '10.0.0.2',
        sport: 40000 + seq,
        dst: '1.2.3.4',
        dport: 443,
        pid: 7,
        app: { name: 'curl' },
      },
    ],
    closed: [],
  };
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, log: Logger = silentLogger()) {
  const dir = await mkdtemp(join(tmpdir(), 'ppal-client-'));
  const clock = new FakeClock();
  const outbox = await Outbox.open({ file: join(dir, 'outbox.jsonl'), clock, log });
  const net = fakeConnect();
  const policies: string[][] = [];
  const revoked: string[] = [];
  const client = new GatewayClient({
    url: 'ws://gw:8080/api/v1/agent',
    credential: { agentId: 5, secret: 's3cret' },
    connect: net.connect,
    clock,
    log,
    outbox,
    backoff: new Backoff({ random: () => 0.5 }),
    hello: () => HELLO,
    onPolicy: (apps) => policies.push(apps),
    onRevoked: (r) => revoked.push(r),
  });
  // The outbox may still be writing when a test ends: stop and close it before removing its file.
  t.after(async () => {
    client.stop();
    await outbox.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { clock, outbox, net, client, policies, revoked };
}

test('welcome → hello, policy, reports sent and forgotten on ack, heartbeats', async (t) => {
  const { clock, outbox, net, client, policies } = await setup(t);
  client.submit(report(1)); // before the socket exists: kept
  client.start();
  const s = net.last();
  assert.equal(s.url, 'ws://gw:8080/api/v1/agent');
  assert.equal(s.headers.authorization, 'Agent 5.s3cret');
  s.welcome(2, ['steam']);
  assert.equal(client.state, 'connected');
  assert.deepEqual(policies, [['steam']]);
  assert.deepEqual(s.of('hello'), [HELLO]);
  assert.deepEqual(
    s.of<AgentFlows>('flows').map((r) => r.seq),
    [1],
  );
  client.submit(report(2));
  assert.deepEqual(
    s.of<AgentFlows>('flows').map((r) => r.seq),
    [1, 2],
  );
  s.receive({ type: 'ack', seq: 1 });
  s.receive({ type: 'ack', seq: 2 });
  assert.equal(outbox.size, 0);
  assert.equal(client.stats.acks, 2);
  await clock.advance(2000);
  assert.equal(s.of('heartbeat').length, 1);
  assert.equal(s.pings, 1);
  s.events.pong();
  await clock.advance(2000);
  assert.equal(s.of('heartbeat').length, 2);
  client.stop();
  assert.deepEqual(s.closed, { code: 1000, reason: 'agent stopping' });
});

test('reconnect with back-off resends what was not acknowledged, in order, same seq', async (t) => {
  const { clock, net, client } = await setup(t);
  client.start();
  net.last().welcome();
  for (let s = 1; s <= 3; s++) client.submit(report(s));
  net.last().receive({ type: 'ack', seq: 1 });
  net.last().events.close(1006, '');
  assert.equal(client.state, 'waiting');
  client.submit(report(4));
  await clock.advance(999);
  assert.equal(net.sockets.length, 1);
  await clock.advance(1);
  assert.equal(net.sockets.length, 2);
  net.last().welcome();
  assert.deepEqual(
    net
      .last()
      .of<AgentFlows>('flows')
      .map((r) => r.seq),
    [2, 3, 4],
  );
});

test('at most maxInFlight reports wait for acks; the rest follow as acks come', async (t) => {
  const { net, client } = await setup(t);
  client.start();
  net.last().welcome();
  for (let s = 1; s <= 40; s++) client.submit(report(s));
  assert.equal(net.last().of('flows').length, 32);
  net.last().receive({ type: 'ack', seq: 1 });
  assert.equal(net.last().of('flows').length, 33);
  assert.equal(client.inFlight, 32);
});

test('unreachable gateway: 1, 2, 4 … 60 s, one log line per back-off step', async (t) => {
  const cap = captureLogger();
  const { clock, net, client, outbox } = await setup(t, cap.log);
  client.start();
  const at: number[] = [];
  for (let i = 0; i < 9; i++) {
    const s = net.last();
    s.events.error(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8080'), { code: 'ECONNREFUSED' }));
    s.events.close(1006, '');
    const before = clock.now();
    const n = net.sockets.length;
    while (net.sockets.length === n) await clock.advance(250);
    at.push(clock.now() - before);
    client.submit(report(100 + i)); // the PC keeps working: reports pile up in the outbox
  }
  assert.deepEqual(at, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  const warns = cap.lines().filter((l) => l.level === 40);
  assert.equal(warns.length, 7, 'steps 1, 2, 4, 8, 16, 32, 60 s');
  assert.match(String(warns[0]?.msg), /unreachable: ECONNREFUSED; retrying in 1 s/);
  assert.equal(outbox.size, 9);
});

test('a connection that lasted resets the back-off', async (t) => {
  const { clock, net, client } = await setup(t);
  client.start();
  for (let i = 0; i < 3; i++) {
    net.last().events.close(1006, '');
    await clock.advance(10_000);
  }
  net.last().welcome();
  await clock.advance(31_000);
  net.last().events.pong();
  net.last().events.close(1001, 'gateway shutting down');
  const n = net.sockets.length;
  await clock.advance(1000);
  assert.equal(net.sockets.length, n + 1);
});

test('revoked: close 4401 or HTTP 401 at the upgrade stops for good', async (t) => {
  const a = await setup(t);
  a.client.start();
  a.net.last().welcome();
  a.net.last().events.close(4401, 'agent revoked');
  assert.equal(a.client.state, 'revoked');
  assert.equal(a.revoked.length, 1);
  await a.clock.advance(600_000);
  assert.equal(a.net.sockets.length, 1);

  const b = await setup(t);
  b.client.start();
  b.net.last().events.rejected(401);
  assert.equal(b.client.state, 'revoked');
  assert.match(b.revoked[0] ?? '', /HTTP 401/);
  const c = await setup(t);
  c.client.start();
  c.net.last().events.rejected(503);
  assert.equal(c.client.state, 'waiting');
});

test('overdue acks and refused reports are sent again', async (t) => {
  const { clock, net, client } = await setup(t);
  client.start();
  const s = net.last();
  s.welcome(30);
  client.submit(report(1));
  client.submit(report(2));
  s.receive({ type: 'error', seq: 2, message: 'flows not kept; send it again later' });
  await clock.advance(10_000);
  assert.deepEqual(
    s.of<AgentFlows>('flows').map((r) => r.seq),
    [1, 2, 2],
  );
  s.events.pong();
  await clock.advance(20_000);
  assert.deepEqual(
    s.of<AgentFlows>('flows').map((r) => r.seq),
    [1, 2, 2, 1],
  );
  assert.equal(client.stats.resends, 2);
});

test('a silent gateway (no pong) is dropped; no welcome within 10 s is dropped', async (t) => {
  const { clock, net, client } = await setup(t);
  client.start();
  net.last().welcome(5);
  await clock.advance(15_000);
  assert.equal(net.sockets[0]?.terminated, false, 'two heartbeats and a tick of grace');
  await clock.advance(5000);
  assert.equal(net.sockets[0]?.terminated, true);
  assert.equal(client.state, 'waiting');
  await clock.advance(1000);
  net.last().events.open();
  await clock.advance(10_000);
  assert.equal(net.sockets[1]?.terminated, true);
});

test('frames that are not protocol messages are ignored', async (t) => {
  const cap = captureLogger();
  const { net, client, policies } = await setup(t, cap.log);
  client.start();
  const s = net.last();
  s.welcome();
  s.events.message('not json');
  s.receive({ type: 'policy', blockedApps: 'steam' });
  s.receive({ type: 'surprise' });
  assert.deepEqual(policies, [[]]);
  assert.equal(client.state, 'connected');
  assert.equal(cap.lines().filter((l) => l.msg === 'ignoring a frame from the gateway').length, 3);
});
