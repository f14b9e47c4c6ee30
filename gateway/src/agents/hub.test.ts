import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { AGENT_CLOSE, type GatewayMessage } from '@packetpilot/protocol';
import type { AgentReport, AgentSocket } from './connection.js';
import { AgentHub, type AgentHubOptions } from './hub.js';

/** A socket that records what the gateway sends and closes like ws does (the peer answers at once). */
class FakeSocket extends EventEmitter implements AgentSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: GatewayMessage[] = [];
  closedWith: { code: number; reason: string } | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as GatewayMessage);
  }
  close(code: number, reason: string): void {
    if (this.readyState !== 1) return;
    this.closedWith = { code, reason };
    this.readyState = 2;
    queueMicrotask(() => this.terminate());
  }
  terminate(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close');
  }
  /** The agent sends a text frame. */
  receive(message: unknown): void {
    this.emit('message', Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)), false);
  }
  /** Resolves once the queued frames are handled. */
  async settle(): Promise<void> {
    await sleep(5);
  }
}

const log = pino({ level: 'silent' });
const hubWith = (options: Partial<AgentHubOptions> = {}) => new AgentHub({ log, ...options });
const agent = { agentId: 7, deviceId: 3 };
const flows = (seq: number) => ({ type: 'flows', seq, opened: [], closed: [] });

test('a connected agent is greeted with welcome and its policy', () => {
  const hub = hubWith({ heartbeatSeconds: 15 });
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  assert.deepEqual(socket.sent, [
    { type: 'welcome', agentId: 7, deviceId: 3, heartbeatSeconds: 15 },
    { type: 'policy', blockedApps: [] },
  ]);
  assert.equal(hub.isConnected(7), true);
  assert.equal(hub.isConnected(8), false);
});

test('sendPolicy reaches a connected agent now and a disconnected one when it connects', () => {
  const hub = hubWith();
  assert.equal(hub.sendPolicy(7, ['steam']), false);
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  assert.deepEqual(socket.sent[1], { type: 'policy', blockedApps: ['steam'] });
  assert.equal(hub.sendPolicy(7, ['steam', 'discord']), true);
  assert.deepEqual(socket.sent.at(-1), { type: 'policy', blockedApps: ['steam', 'discord'] });
});

test('with a policy source, agents get their device’s blocked apps on connect and each change once', () => {
  const blocked = new Map<number, string[]>([[3, ['curl']]]);
  const hub = hubWith({ policyFor: (a) => blocked.get(a.deviceId ?? 0) ?? [] });
  const kid = new FakeSocket();
  const other = new FakeSocket();
  hub.attach(kid, agent);
  hub.attach(other, { agentId: 8, deviceId: 4 });
  assert.deepEqual(kid.sent[1], { type: 'policy', blockedApps: ['curl'] });
  assert.deepEqual(other.sent[1], { type: 'policy', blockedApps: [] });
  assert.equal(hub.refreshPolicies(), 0, 'nothing changed, nothing sent');
  blocked.set(3, ['curl', 'steam']);
  assert.equal(hub.refreshPolicies(), 1);
  assert.deepEqual(kid.sent.at(-1), { type: 'policy', blockedApps: ['curl', 'steam'] });
  assert.equal(other.sent.length, 2);
});

test('reports are acknowledged by seq, counted, and handed to the sink in order', async () => {
  const got: AgentReport[] = [];
  const hub = hubWith({ reports: { ingest: async (_a, r) => void got.push(r) } });
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  const tuple = { proto: 'tcp', src: '192.168.1.2', sport: 5000, dst: '192.0.2.1', dport: 443 };
  socket.receive({ type: 'hello', version: '1', os: 'Linux', hostname: 'pc', interfaces: [] });
  socket.receive({
    type: 'flows',
    seq: 1,
    opened: [{ ...tuple, app: { name: 'curl' } }],
    closed: [tuple, tuple],
  });
  socket.receive({ type: 'heartbeat', at: '2026-11-25T10:00:00Z' });
  socket.receive({
    type: 'appUsage',
    seq: 2,
    period: { from: '2026-11-25T10:00:00Z', to: '2026-11-25T10:01:00Z' },
    apps: [],
  });
  await socket.settle();
  assert.deepEqual(socket.sent.slice(2), [
    { type: 'ack', seq: 1 },
    { type: 'ack', seq: 2 },
  ]);
  assert.deepEqual(
    got.map((r) => r.type),
    ['hello', 'flows', 'appUsage'],
  );
  const [connected] = hub.connected();
  assert.equal(connected?.hello?.hostname, 'pc');
  assert.deepEqual(connected?.stats, {
    messages: 4,
    badMessages: 0,
    flowsOpened: 1,
    flowsClosed: 2,
    appUsageReports: 1,
  });
});

test('a report the sink cannot keep gets an error naming its seq, not an ack', async () => {
  const hub = hubWith({ reports: { ingest: () => Promise.reject(new Error('disk full')) } });
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  socket.receive(flows(5));
  await socket.settle();
  assert.deepEqual(socket.sent.slice(2), [
    { type: 'error', message: 'flows not kept; send it again later', seq: 5 },
  ]);
  assert.equal(hub.isConnected(7), true);
});

test('an invalid frame gets an error saying why and closes that agent’s socket, no other', async () => {
  for (const [frame, why] of [
    ['{oops', /^invalid JSON/],
    [Buffer.from([1, 2, 3]), /binary frames are not accepted/],
    [JSON.stringify({ type: 'nope' }), /./],
    [JSON.stringify({ ...flows(1), opened: [{ proto: 'sctp' }] }), /./],
  ] as const) {
    const hub = hubWith();
    const socket = new FakeSocket();
    const other = new FakeSocket();
    hub.attach(socket, agent);
    hub.attach(other, { agentId: 8, deviceId: 4 });
    if (typeof frame === 'string') socket.receive(frame);
    else socket.emit('message', frame, true);
    await socket.settle();
    assert.match((socket.sent[2] as { message: string }).message, why);
    assert.equal(socket.closedWith?.code, AGENT_CLOSE.badMessages);
    assert.match(socket.closedWith?.reason ?? '', /^invalid message: /);
    assert.equal(hub.isConnected(7), false);
    assert.equal(hub.isConnected(8), true, 'the other agent stays');
  }
});

test('a new connection of the same agent replaces the old one', async () => {
  const hub = hubWith();
  const first = new FakeSocket();
  const second = new FakeSocket();
  hub.attach(first, agent);
  hub.attach(second, agent);
  assert.equal(first.closedWith?.code, AGENT_CLOSE.replaced);
  await first.settle();
  // The old socket's close does not take the new one out of the registry.
  assert.equal(hub.isConnected(7), true);
  assert.equal(hub.connected().length, 1);
  assert.equal(hub.sendPolicy(7, ['x']), true);
  assert.deepEqual(second.sent.at(-1), { type: 'policy', blockedApps: ['x'] });
  assert.equal(first.sent.length, 2);
});

test('revoke closes the socket with 4401 and refuses the agent from then on', async () => {
  const hub = hubWith();
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  hub.revoke(7);
  assert.deepEqual(socket.closedWith, { code: AGENT_CLOSE.revoked, reason: 'agent revoked' });
  assert.equal(hub.isConnected(7), false);
  // A connection authenticated just before the revocation is refused when it attaches.
  const late = new FakeSocket();
  hub.attach(late, agent);
  assert.equal(late.closedWith?.code, AGENT_CLOSE.revoked);
  assert.deepEqual(late.sent, []);
  // Frames that were in flight are ignored.
  socket.receive(flows(1));
  await socket.settle();
  assert.equal(socket.sent.length, 2);
});

test('a silent agent is closed after the idle time; heartbeats keep it open', async () => {
  const hub = hubWith({ idleMs: 80 });
  const quiet = new FakeSocket();
  const chatty = new FakeSocket();
  hub.attach(quiet, agent);
  hub.attach(chatty, { agentId: 8, deviceId: null });
  for (let i = 0; i < 6; i++) {
    await sleep(30);
    chatty.receive({ type: 'heartbeat', at: new Date().toISOString() });
  }
  assert.deepEqual(quiet.closedWith, { code: AGENT_CLOSE.idle, reason: 'no heartbeat' });
  assert.equal(chatty.closedWith?.code, undefined);
  assert.equal(hub.isConnected(8), true);
});

test('last_seen_at is written on connect, at most every 30 s while connected, and on disconnect', async () => {
  let now = Date.parse('2026-11-25T10:00:00Z');
  const touched: string[] = [];
  const hub = hubWith({
    now: () => new Date(now),
    touch: async (id, at) => void touched.push(`${id}@${at.toISOString().slice(11, 19)}`),
  });
  const socket = new FakeSocket();
  hub.attach(socket, agent);
  for (const step of [10_000, 10_000, 9_000, 2_000, 5_000]) {
    now += step;
    socket.receive({ type: 'heartbeat', at: new Date(now).toISOString() });
  }
  now += 1000;
  socket.terminate();
  await socket.settle();
  assert.deepEqual(touched, ['7@10:00:00', '7@10:00:31', '7@10:00:37']);
});

test('a socket that closed before it was attached is not registered', () => {
  const hub = hubWith();
  const socket = new FakeSocket();
  socket.terminate();
  hub.attach(socket, agent);
  assert.deepEqual(socket.sent, []);
  assert.deepEqual(hub.connected(), []);
  assert.equal(hub.sendPolicy(7, []), false);
});

test('closeAll closes every socket', () => {
  const hub = hubWith();
  const a = new FakeSocket();
  const b = new FakeSocket();
  hub.attach(a, agent);
  hub.attach(b, { agentId: 9, deviceId: null });
  hub.closeAll();
  assert.equal(a.closedWith?.code, 1001);
  assert.equal(b.closedWith?.code, 1001);
  assert.deepEqual(hub.connected(), []);
});
