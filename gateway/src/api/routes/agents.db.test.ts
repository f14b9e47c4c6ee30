import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { pino } from 'pino';
import {
  AGENT_CLOSE,
  AGENT_MAX_FRAME_BYTES,
  parseEnrollDeepLink,
  type GatewayMessage,
} from '@packetpilot/protocol';
import { forEachDatabase, type DatabaseTarget } from '../../db/testing.js';
import { buildTestApp, type TestApp } from '../testing.js';
import { createAgentModule, type AgentModule } from '../../agents/module.js';
import { agentAuthorization } from '../../agents/auth.js';

interface Fixture {
  t: TestApp;
  agents: AgentModule;
  /** What deps.deviceForAddress answers. */
  addresses: Map<string, number>;
  admin: Record<string, string>;
  viewer: Record<string, string>;
}

/** Builds the app; it is closed after the test, also when the test fails. */
async function setup(ctx: TestContext, target: DatabaseTarget): Promise<Fixture> {
  const database = await target.empty();
  const addresses = new Map<string, number>();
  // The agents module shares the test app's clock, which exists once the app does.
  const clock = { now: () => new Date() };
  const late: { app?: TestApp } = {};
  const agents = createAgentModule(database.db, {
    log: pino({ level: 'silent' }),
    now: () => clock.now(),
    policyFor: (a) => (a.deviceId === null || !late.app ? [] : late.app.engine.blockedApps(a.deviceId)),
  });
  const t = await buildTestApp(database, { agentAuth: agents.auth });
  late.app = t;
  clock.now = t.clock.now;
  t.rules.onChange(() => {
    agents.hub.refreshPolicies();
  });
  ctx.after(() => t.close());
  // testing.ts has no option for these yet; the routes read deps when called.
  Object.assign(t.deps, agents.deps, {
    publicUrl: 'http://gw.lan:8080',
    deviceForAddress: async (address: string) => addresses.get(address) ?? null,
  });
  const admin = (await t.signIn('admin')).session.bearer;
  const viewer = (await t.signIn('viewer')).session.bearer;
  return { t, agents, addresses, admin, viewer };
}

const createCode = async (f: Fixture, payload: object = {}) => {
  const res = await f.t.app.inject({
    method: 'POST',
    url: '/api/v1/agents/enrollments',
    headers: f.admin,
    payload,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{
    id: number;
    code: string;
    url: string;
    deepLink: string;
    qr: { svg: string; pngBase64: string };
  }>();
};

const enroll = (f: Fixture, code: string, remoteAddress = '192.168.77.50') =>
  f.t.app.inject({
    method: 'POST',
    url: '/api/v1/agents/enroll',
    remoteAddress,
    payload: { code, platform: 'windows', hostname: 'desk-pc', macs: ['02:50:50:00:00:77'] },
  });

async function auditRows(f: Fixture, targetType: string) {
  return f.t.audit.query({ targetType, limit: 100 });
}

forEachDatabase('agent routes', (target) => {
  test('enrollment codes: admin only; reply has the code, URL, deep link and QR; the list never has codes', async (ctx) => {
    const f = await setup(ctx, target);
    const body = { maxUses: 2, expiresInMinutes: 30 };
    for (const [headers, status] of [
      [{}, 401],
      [f.viewer, 403],
    ] as const) {
      const res = await f.t.app.inject({
        method: 'POST',
        url: '/api/v1/agents/enrollments',
        headers,
        payload: body,
      });
      assert.equal(res.statusCode, status);
    }
    const created = await createCode(f, body);
    assert.match(created.code, /^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$/);
    assert.equal(created.url, `http://gw.lan:8080/enroll?code=${created.code}`);
    assert.deepEqual(parseEnrollDeepLink(created.deepLink), {
      gateway: 'http://gw.lan:8080',
      code: created.code,
    });
    assert.match(created.qr.svg, /^<svg/);
    assert.equal(
      Buffer.from(created.qr.pngBase64, 'base64').subarray(0, 8).toString('hex'),
      '89504e470d0a1a0a',
    );

    const bad = await f.t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/enrollments',
      headers: f.admin,
      payload: { maxUses: 101, expiresInMinutes: 7 * 24 * 60 + 1 },
    });
    assert.equal(bad.statusCode, 400);

    const list = await f.t.app.inject({ url: '/api/v1/agents/enrollments', headers: f.admin });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json()[0].state, 'active');
    assert.ok(!list.body.includes(created.code.slice(0, 5)), 'the list shows no code');
    assert.equal(
      (await f.t.app.inject({ url: '/api/v1/agents/enrollments', headers: f.viewer })).statusCode,
      403,
    );

    const revoke = await f.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/agents/enrollments/${created.id}`,
      headers: f.admin,
    });
    assert.equal(revoke.statusCode, 204);
    assert.equal((await enroll(f, created.code)).statusCode, 401);
    const missing = await f.t.app.inject({
      method: 'DELETE',
      url: '/api/v1/agents/enrollments/999',
      headers: f.admin,
    });
    assert.equal(missing.statusCode, 404);

    const rows = await auditRows(f, 'enrollment');
    assert.deepEqual(
      rows.map((r) => r.action),
      ['enrollment.revoke', 'enrollment.create'],
    );
    assert.equal(rows[0]?.before && (rows[0].before as { state: string }).state, 'active');
    assert.ok(!JSON.stringify(rows).includes(created.code.slice(0, 5)), 'no code in the audit log');
  });

  test('exchange: once per use, generic 401 after, bound to the device of the source address', async (ctx) => {
    const f = await setup(ctx, target);
    f.addresses.set('192.168.77.11', f.t.deviceId);
    const { code } = await createCode(f);
    const first = await enroll(f, code, '::ffff:192.168.77.11');
    assert.equal(first.statusCode, 200, first.body);
    const reply = first.json<{ agentId: number; secret: string; deviceId: number | null }>();
    assert.equal(reply.deviceId, f.t.deviceId);
    assert.match(reply.secret, /^[A-Za-z0-9_-]{43}$/);

    const again = await enroll(f, code, '::ffff:192.168.77.11');
    assert.equal(again.statusCode, 401);
    assert.deepEqual(again.json(), {
      error: { code: 'PP_E_UNAUTHORIZED', message: 'invalid or expired enrollment code' },
    });
    const invalid = await f.t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/enroll',
      payload: { code, platform: 'amiga' },
    });
    assert.equal(invalid.statusCode, 400);

    const rows = await auditRows(f, 'agent');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.action, 'agent.enroll');
    assert.equal(rows[0]?.targetId, String(reply.agentId));
    assert.ok(!JSON.stringify(rows).includes(reply.secret), 'no secret in the audit log');
  });

  test('two concurrent exchanges of a single-use code over HTTP: exactly one 200', async (ctx) => {
    const f = await setup(ctx, target);
    const { code } = await createCode(f);
    const results = await Promise.all([enroll(f, code), enroll(f, code)]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401]);
  });

  test('10 failed exchanges in a minute from one address: the 11th attempt is 429, even with a good code', async (ctx) => {
    const f = await setup(ctx, target);
    const { code } = await createCode(f);
    for (let i = 0; i < 10; i++)
      assert.equal((await enroll(f, 'ZZZZZ-ZZZZZ', '192.168.77.66')).statusCode, 401);
    const limited = await enroll(f, code, '192.168.77.66');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Another address is not affected; after the lock the address may try again.
    assert.equal((await enroll(f, 'ZZZZZ-ZZZZZ', '192.168.77.67')).statusCode, 401);
    f.t.clock.advance(61_000);
    assert.equal((await enroll(f, code, '192.168.77.66')).statusCode, 200);
  });

  test('agent socket: welcome, acks, connected in the list, revoke closes it within 1 s', async (ctx) => {
    const f = await setup(ctx, target);
    const { code } = await createCode(f);
    const { agentId, secret } = (await enroll(f, code)).json<{ agentId: number; secret: string }>();
    const credential = agentAuthorization(agentId, secret);
    const base = await listen(f);

    // Refused at the upgrade: no credential, a user's session, a wrong secret.
    assert.equal(await refusedWith(`${base}/api/v1/agent`, {}), 401);
    assert.equal(await refusedWith(`${base}/api/v1/agent`, f.admin), 403);
    assert.equal(
      await refusedWith(`${base}/api/v1/agent`, { authorization: `Agent ${agentId}.${'x'.repeat(43)}` }),
      401,
    );
    // …and the refused sockets are closed by the gateway, not left half-open.
    await until(async () => (await connections(f)) === 0, 'refused upgrades leave no socket open');

    const agent = await connect(`${base}/api/v1/agent`, { authorization: credential });
    assert.deepEqual(await agent.next(), { type: 'welcome', agentId, deviceId: null, heartbeatSeconds: 30 });
    assert.deepEqual(await agent.next(), { type: 'policy', blockedApps: [] });
    agent.ws.send(JSON.stringify({ type: 'flows', seq: 1, opened: [], closed: [] }));
    assert.deepEqual(await agent.next(), { type: 'ack', seq: 1 });
    assert.equal(f.agents.hub.sendPolicy(agentId, ['steam']), true);
    assert.deepEqual(await agent.next(), { type: 'policy', blockedApps: ['steam'] });

    const listed = await f.t.app.inject({ url: '/api/v1/agents', headers: f.viewer });
    assert.equal(listed.statusCode, 200);
    const [row] =
      listed.json<Array<{ id: number; connected: boolean; revoked: boolean; lastSeenAt: string | null }>>();
    assert.equal(row?.id, agentId);
    assert.equal(row?.connected, true);
    assert.equal(row?.revoked, false);
    assert.ok(row?.lastSeenAt, 'last seen written on connect');

    const viewerRevoke = await f.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/agents/${agentId}`,
      headers: f.viewer,
    });
    assert.equal(viewerRevoke.statusCode, 403);
    const started = performance.now();
    const revoke = await f.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/agents/${agentId}`,
      headers: f.admin,
    });
    assert.equal(revoke.statusCode, 204);
    const closed = await agent.closed;
    const elapsed = performance.now() - started;
    assert.equal(closed.code, AGENT_CLOSE.revoked);
    assert.ok(elapsed < 1000, `socket closed ${elapsed.toFixed(0)} ms after the revocation`);
    ctx.diagnostic(`revoked agent's socket closed ${elapsed.toFixed(1)} ms after DELETE /agents/:id`);

    assert.equal(await refusedWith(`${base}/api/v1/agent`, { authorization: credential }), 401);
    const after = (await f.t.app.inject({ url: '/api/v1/agents', headers: f.viewer })).json()[0];
    assert.equal(after.connected, false);
    assert.equal(after.revoked, true);
    const rows = await auditRows(f, 'agent');
    assert.deepEqual(
      rows.map((r) => r.action),
      ['agent.revoke', 'agent.enroll'],
    );
  });

  test('bad input: a malformed or an oversized message closes that agent’s socket with the reason, no other', async (ctx) => {
    const f = await setup(ctx, target);
    const base = await listen(f);
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const { code } = await createCode(f);
      const { agentId, secret } = (await enroll(f, code)).json<{ agentId: number; secret: string }>();
      const client = await connect(`${base}/api/v1/agent`, {
        authorization: agentAuthorization(agentId, secret),
      });
      await client.next(); // welcome
      await client.next(); // policy
      sockets.push({ agentId, client });
    }
    const [malformed, oversized, bystander] = sockets as [
      (typeof sockets)[0],
      (typeof sockets)[0],
      (typeof sockets)[0],
    ];
    malformed.client.ws.send('{"type":"flows"');
    assert.match(((await malformed.client.next()) as { message: string }).message, /^invalid JSON/);
    const closed = await malformed.client.closed;
    assert.equal(closed.code, AGENT_CLOSE.badMessages);
    assert.match(closed.reason, /^invalid message: invalid JSON/);

    oversized.client.ws.send(JSON.stringify({ type: 'heartbeat', at: 'x'.repeat(AGENT_MAX_FRAME_BYTES) }));
    assert.equal((await oversized.client.closed).code, 1009);

    bystander.client.ws.send(JSON.stringify({ type: 'flows', seq: 3, opened: [], closed: [] }));
    assert.deepEqual(await bystander.client.next(), { type: 'ack', seq: 3 });
    assert.deepEqual(
      sockets.map((x) => f.agents.hub.isConnected(x.agentId)),
      [false, false, true],
    );
    bystander.client.ws.close();
    await bystander.client.closed;
  });

  test('an app rule reaches the agents of its device at once; deleting it clears their policy', async (ctx) => {
    const f = await setup(ctx, target);
    const deviceId = f.t.deviceId;
    const { code } = await createCode(f, { deviceId });
    const { agentId, secret } = (await enroll(f, code)).json<{ agentId: number; secret: string }>();
    const base = await listen(f);
    const agent = await connect(`${base}/api/v1/agent`, {
      authorization: agentAuthorization(agentId, secret),
    });
    assert.equal((await agent.next()).type, 'welcome');
    assert.deepEqual(await agent.next(), { type: 'policy', blockedApps: [] });
    const created = await f.t.app.inject({
      method: 'POST',
      url: '/api/v1/rules',
      headers: f.admin,
      payload: {
        action: 'block',
        target: { type: 'app', name: ' Steam ' },
        scope: { type: 'device', id: deviceId },
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().target, { type: 'app', name: 'Steam' });
    // the rule call returns after the policy went out
    assert.deepEqual(await agent.next(), { type: 'policy', blockedApps: ['Steam'] });
    const deleted = await f.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/rules/${created.json().id}`,
      headers: f.admin,
    });
    assert.equal(deleted.statusCode, 204);
    assert.deepEqual(await agent.next(), { type: 'policy', blockedApps: [] });
    agent.ws.close();
    await agent.closed;
  });

  test('a second connection of the same agent replaces the first', async (ctx) => {
    const f = await setup(ctx, target);
    const { code } = await createCode(f);
    const { agentId, secret } = (await enroll(f, code)).json<{ agentId: number; secret: string }>();
    const base = await listen(f);
    const headers = { authorization: agentAuthorization(agentId, secret) };
    const first = await connect(`${base}/api/v1/agent`, headers);
    await first.next();
    const second = await connect(`${base}/api/v1/agent`, headers);
    assert.equal((await second.next()).type, 'welcome');
    assert.equal((await first.closed).code, AGENT_CLOSE.replaced);
    assert.equal(f.agents.hub.isConnected(agentId), true);
    second.ws.close();
    await second.closed;
  });

  test('without the agents module the routes answer 503', async (ctx) => {
    const database = await target.empty();
    const t = await buildTestApp(database);
    ctx.after(() => t.close());
    // the test app comes with the module: take it away, as a daemon without it would be
    Object.assign(t.deps, { agents: undefined, agentHub: undefined });
    const admin = (await t.signIn('admin')).session.bearer;
    const res = await t.app.inject({ url: '/api/v1/agents', headers: admin });
    assert.equal(res.statusCode, 503);
    const enrolled = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/enroll',
      payload: { code: 'ABCDE-FGHJK', platform: 'linux' },
    });
    assert.equal(enrolled.statusCode, 503);
  });
});

async function listen(f: Fixture): Promise<string> {
  await f.t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = f.t.app.server.address() as AddressInfo;
  return `ws://127.0.0.1:${port}`;
}

function connections(f: Fixture): Promise<number> {
  return new Promise((resolve, reject) =>
    f.t.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
}

async function until(check: () => Promise<boolean>, what: string, deadlineMs = 1000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (!(await check())) {
    if (performance.now() > end) assert.fail(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The HTTP status a refused upgrade answered with. */
async function refusedWith(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => {});
  const [req, res] = (await once(ws, 'unexpected-response')) as [
    { destroy(): void },
    { statusCode: number; resume(): void },
  ];
  res.resume();
  req.destroy();
  return res.statusCode;
}

interface Client {
  ws: WebSocket;
  /** The next message, within 2 s. */
  next(): Promise<GatewayMessage>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(url: string, headers: Record<string, string>): Promise<Client> {
  const ws = new WebSocket(url, { headers });
  const queue: GatewayMessage[] = [];
  const waiting: Array<(m: GatewayMessage) => void> = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as GatewayMessage;
    const take = waiting.shift();
    if (take) take(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(ws, 'open');
  return {
    ws,
    closed,
    next: () => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 2 s')), 2000);
        waiting.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
  };
}
