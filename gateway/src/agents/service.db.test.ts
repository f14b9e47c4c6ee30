import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { forEachDatabase, type DatabaseTarget } from '../db/testing.js';
import { DeviceStore } from '../db/device-store.js';
import { AppError } from '../errors.js';
import { agentAuthorization } from './auth.js';
import { createAgentModule } from './module.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const BASE = 'http://192.168.1.1:8080';

async function setup(target: DatabaseTarget) {
  const { db } = await target.empty();
  let now = T0;
  const agents = createAgentModule(db, { log: pino({ level: 'silent' }), now: () => new Date(now) });
  const devices = new DeviceStore(db);
  const device = async (mac: string, address: string) =>
    (await devices.upsertSeen({ mac, addresses: [address], at: new Date(T0) })).id;
  return {
    ...agents,
    db,
    device,
    advance: (ms: number) => void (now += ms),
    create: async (input: { deviceId?: number; maxUses?: number; expiresInMinutes?: number } = {}) =>
      agents.service.createEnrollment(input, { userId: null, gatewayBaseUrl: BASE }),
  };
}

const enrollBody = (code: string, extra: { macs?: string[]; name?: string } = {}) => ({
  code,
  platform: 'linux' as const,
  hostname: 'pc-1',
  ...extra,
});
const nowhere = { addressDeviceId: null };

async function refused(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'PP_E_UNAUTHORIZED');
    assert.equal(err.message, 'invalid or expired enrollment code');
    return true;
  });
}

forEachDatabase('AgentService', (target) => {
  test('a single-use code works once; the second exchange is refused', async () => {
    const f = await setup(target);
    const created = await f.create();
    assert.equal(created.maxUses, 1);
    assert.equal(created.expiresAt, new Date(T0 + 60 * 60_000).toISOString());
    const first = await f.service.enroll(enrollBody(created.code), nowhere);
    assert.ok(first.reply.agentId > 0);
    assert.equal(first.agent.name, 'pc-1');
    // Typed by hand: lower case, no dash.
    await refused(f.service.enroll(enrollBody(created.code.toLowerCase().replace('-', '')), nowhere));
    const [listed] = await f.service.listEnrollments();
    assert.equal(listed?.state, 'used');
    assert.equal(listed?.uses, 1);
  });

  test('concurrent exchanges of one single-use code create exactly one agent', async () => {
    const f = await setup(target);
    const { code } = await f.create();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        f.service.enroll(enrollBody(code, { name: `racer-${i}` }), nowhere),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results)
      if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'PP_E_UNAUTHORIZED');
    assert.equal((await f.service.list()).length, 1);
  });

  test('an N-use code works N times, also when raced', async () => {
    const f = await setup(target);
    const { code } = await f.create({ maxUses: 3 });
    for (let i = 0; i < 3; i++) await f.service.enroll(enrollBody(code), nowhere);
    await refused(f.service.enroll(enrollBody(code), nowhere));

    const raced = await f.create({ maxUses: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => f.service.enroll(enrollBody(raced.code), nowhere)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.equal((await f.service.list()).length, 6);
  });

  test('an expired code is refused; one a moment before expiry works', async () => {
    const f = await setup(target);
    const a = await f.create({ expiresInMinutes: 5 });
    const b = await f.create({ expiresInMinutes: 5 });
    f.advance(5 * 60_000 - 1);
    await f.service.enroll(enrollBody(a.code), nowhere);
    f.advance(1);
    await refused(f.service.enroll(enrollBody(b.code), nowhere));
    const states = (await f.service.listEnrollments()).map((e) => [e.id, e.state]);
    assert.deepEqual(states, [
      [b.id, 'expired'],
      [a.id, 'used'],
    ]);
  });

  test('a revoked code is refused; unknown and malformed codes too', async () => {
    const f = await setup(target);
    const created = await f.create({ maxUses: 5 });
    const { before, after } = await f.service.revokeEnrollment(created.id);
    assert.equal(before.state, 'active');
    assert.equal(after.state, 'revoked');
    assert.equal(after.revokedAt, new Date(T0).toISOString());
    await refused(f.service.enroll(enrollBody(created.code), nowhere));
    await refused(f.service.enroll(enrollBody('ZZZZZ-ZZZZZ'), nowhere));
    await refused(f.service.enroll(enrollBody('not a code'), nowhere));
    await assert.rejects(f.service.revokeEnrollment(999), /no enrollment 999/);
    // Revoking again changes nothing.
    f.advance(1000);
    assert.equal((await f.service.revokeEnrollment(created.id)).after.revokedAt, new Date(T0).toISOString());
  });

  test('the enrollment list never carries codes', async () => {
    const f = await setup(target);
    const created = await f.create({ maxUses: 2, expiresInMinutes: 10 });
    const list = await f.service.listEnrollments();
    assert.deepEqual(list, [
      {
        id: created.id,
        deviceId: null,
        maxUses: 2,
        uses: 0,
        state: 'active',
        createdBy: null,
        createdAt: new Date(T0).toISOString(),
        expiresAt: new Date(T0 + 10 * 60_000).toISOString(),
        revokedAt: null,
      },
    ]);
    assert.doesNotMatch(JSON.stringify(list), new RegExp(created.code.slice(0, 5)));
  });

  test('binding: the enrollment device, else the source address device, else a MAC, else none', async () => {
    const f = await setup(target);
    const pinned = await f.device('02:50:50:00:00:01', '192.168.1.11');
    const byAddress = await f.device('02:50:50:00:00:02', '192.168.1.12');
    const byMac = await f.device('02:50:50:00:00:03', '192.168.1.13');
    const macs = ['02-50-50-00-00-09', '02:50:50:00:00:03'];
    const { code } = await f.create({ deviceId: pinned, maxUses: 10 });
    const open = (await f.create({ maxUses: 10 })).code;
    const bound = async (c: string, from: number | null, m?: string[]) =>
      (await f.service.enroll(enrollBody(c, m ? { macs: m } : {}), { addressDeviceId: from })).reply.deviceId;
    assert.equal(await bound(code, byAddress, macs), pinned);
    assert.equal(await bound(open, byAddress, macs), byAddress);
    assert.equal(await bound(open, null, macs), byMac);
    assert.equal(await bound(open, null, ['02:50:50:00:00:99']), null);
    assert.equal(await bound(open, null), null);
  });

  test('an enrollment for a device that does not exist is a validation error', async () => {
    const f = await setup(target);
    await assert.rejects(f.create({ deviceId: 4242 }), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'PP_E_VALIDATION');
      return true;
    });
  });

  test('the credential authenticates until the agent is revoked', async () => {
    const f = await setup(target);
    const deviceId = await f.device('02:50:50:00:00:01', '192.168.1.11');
    const { code } = await f.create({ deviceId });
    const { reply } = await f.service.enroll(enrollBody(code), nowhere);
    const header = agentAuthorization(reply.agentId, reply.secret);
    assert.deepEqual(await f.auth.authenticate(header), { kind: 'agent', agentId: reply.agentId, deviceId });
    assert.deepEqual(await f.auth.authenticate(`${reply.agentId}.${reply.secret}`), {
      kind: 'agent',
      agentId: reply.agentId,
      deviceId,
    });
    const wrongSecret = `Agent ${reply.agentId}.${'A'.repeat(43)}`;
    for (const bad of [
      wrongSecret,
      `Agent ${reply.agentId + 1}.${reply.secret}`,
      `Bearer ${reply.secret}`,
      'Agent x.y',
      '',
      `Agent 99999999999.${reply.secret}`,
    ]) {
      assert.equal(await f.auth.authenticate(bad), null, bad);
    }
    const { before, after } = await f.service.revoke(reply.agentId);
    assert.equal(before.revoked, false);
    assert.equal(after.revoked, true);
    assert.equal(await f.auth.authenticate(header), null);
    await assert.rejects(f.service.revoke(999), /no agent 999/);
    const [listed] = await f.service.list();
    assert.deepEqual(listed, {
      id: reply.agentId,
      name: 'pc-1',
      platform: 'linux',
      deviceId,
      createdAt: new Date(T0).toISOString(),
      lastSeenAt: null,
      connected: false,
      revoked: true,
    });
  });

  test('last_seen_at only moves forward', async () => {
    const f = await setup(target);
    const { code } = await f.create();
    const { reply } = await f.service.enroll(enrollBody(code), nowhere);
    await f.store.touch(reply.agentId, new Date(T0 + 60_000));
    await f.store.touch(reply.agentId, new Date(T0 + 30_000));
    assert.equal(
      (await f.store.getAgent(reply.agentId))?.lastSeenAt?.toISOString(),
      new Date(T0 + 60_000).toISOString(),
    );
  });
});
