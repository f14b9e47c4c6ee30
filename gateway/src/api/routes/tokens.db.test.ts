import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { forEachDatabase } from '../../db/testing.js';
import { buildTestApp, bearer } from '../testing.js';

forEachDatabase('API tokens', (target) => {
  test('create (shown once), use, list own, revoke; the secret is stored only hashed', async () => {
    const t = await buildTestApp(await target.empty());
    const { user, session } = await t.signIn('operator');
    let res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: session.cookieWithCsrf,
      payload: { name: 'home assistant', role: 'viewer', expiresInDays: 30 },
    });
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json();
    assert.match(created.token, /^ppt_\d+_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual([created.name, created.role], ['home assistant', 'viewer']);
    assert.equal(
      new Date(created.expiresAt).getTime() - new Date(created.createdAt).getTime(),
      30 * 86_400_000,
    );
    const secret = created.token.split('_').slice(2).join('_');
    const stored = JSON.stringify((await t.database.db.execute(sql`select * from api_tokens`)).rows);
    assert.ok(!stored.includes(secret), 'no secret in the table');

    res = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(created.token) });
    assert.deepEqual(res.json(), { id: user.id, username: user.username, role: 'viewer' });

    const other = await t.signIn('viewer');
    await t.apiToken(other.user, { name: 'not yours' });
    res = await t.app.inject({ url: '/api/v1/tokens', headers: session.bearer });
    assert.deepEqual(
      res.json().map((x: { name: string; username: string }) => [x.name, x.username]),
      [['home assistant', user.username]],
    );
    assert.doesNotMatch(res.body, /ppt_/);
    res = await t.app.inject({ url: '/api/v1/tokens?all=true', headers: session.bearer });
    assert.equal(res.statusCode, 403, "only admins list everyone's");
    const admin = await t.signIn('admin');
    res = await t.app.inject({ url: '/api/v1/tokens?all=true', headers: admin.session.bearer });
    assert.deepEqual(
      res.json().map((x: { name: string }) => x.name),
      ['not yours', 'home assistant'],
    );

    // someone else's token is not found; your own is revoked once
    res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${created.id}`,
      headers: other.session.bearer,
    });
    assert.equal(res.statusCode, 404);
    res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${created.id}`,
      headers: session.bearer,
    });
    assert.equal(res.statusCode, 204);
    res = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(created.token) });
    assert.equal(res.statusCode, 401, 'revoked: refused at once');
    res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${created.id}`,
      headers: session.bearer,
    });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({ url: '/api/v1/tokens', headers: session.bearer });
    assert.ok(res.json()[0].revokedAt, 'still listed, as revoked');

    // an admin revokes anyone's
    const [notYours] = (await t.tokens.list({ userId: other.user.id })).map((x) => x.id);
    res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${notYours}`,
      headers: admin.session.bearer,
    });
    assert.equal(res.statusCode, 204);

    const rows = await t.audit.query({ targetType: 'token', limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.action, r.actor.name]),
      [
        ['token.revoke', admin.user.username],
        ['token.revoke', user.username],
        ['token.create', user.username],
      ],
    );
    assert.doesNotMatch(JSON.stringify(rows), /ppt_/);
    await t.close();
  });

  test("a token's role is a ceiling: never above its creator's; a viewer token of an admin cannot change a rule", async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.createUser('admin');
    const viewerToken = await t.apiToken(admin, { role: 'viewer' });
    const rule = await t.rules.create({
      action: 'block',
      target: { type: 'internet' },
      scope: { type: 'all' },
    });
    let res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/rules/${rule.id}`,
      headers: bearer(viewerToken),
      payload: { enabled: false },
    });
    assert.equal(res.statusCode, 403);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/rules', headers: bearer(viewerToken) })).statusCode,
      200,
    );

    // minting a higher token with a lower token is refused too
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: bearer(viewerToken),
      payload: { name: 'escalate', role: 'admin' },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /cannot have more rights than you \(viewer\)/);

    // and the user's own role is a ceiling too: demote the user, the admin token acts as operator
    const adminToken = await t.apiToken(admin, { role: 'admin' });
    await t.createUser('admin');
    await t.users.update(admin.id, { role: 'operator' });
    res = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(adminToken) });
    assert.equal(res.json().role, 'operator');
    res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/rules/${rule.id}`,
      headers: bearer(adminToken),
      payload: { enabled: false },
    });
    assert.equal(res.statusCode, 200);
    res = await t.app.inject({ url: '/api/v1/users', headers: bearer(adminToken) });
    assert.equal(res.statusCode, 403);
    await t.close();
  });

  test('expired and revoked tokens are 401; garbage and unknown ids too', async () => {
    const t = await buildTestApp(await target.empty());
    const user = await t.createUser('viewer');
    for (const state of ['expired', 'revoked'] as const) {
      const token = await t.apiToken(user, { state });
      const res = await t.app.inject({ url: '/api/v1/devices', headers: bearer(token) });
      assert.equal(res.statusCode, 401, state);
    }
    const live = await t.apiToken(user);
    const [, id, secret] = /^ppt_(\d+)_(.+)$/.exec(live)!;
    for (const token of [
      `ppt_${Number(id) + 100}_${secret}`,
      `ppt_${id}_${'A'.repeat(43)}`,
      `ppt_${id}_short`,
    ]) {
      const res = await t.app.inject({ url: '/api/v1/devices', headers: bearer(token!) });
      assert.equal(res.statusCode, 401, token);
    }
    // expiry by the clock: a 1-day token works today, not in two days
    const { token } = await t.tokens.create(
      { userId: user.id, role: 'viewer' },
      { name: 'day', role: 'viewer', expiresInDays: 1 },
    );
    assert.equal((await t.app.inject({ url: '/api/v1/devices', headers: bearer(token) })).statusCode, 200);
    t.clock.advance(2 * 86_400_000);
    assert.equal((await t.app.inject({ url: '/api/v1/devices', headers: bearer(token) })).statusCode, 401);
    await t.close();
  });

  test('lastUsedAt moves on use, at most once a minute', async () => {
    const t = await buildTestApp(await target.empty());
    const user = await t.createUser('viewer');
    const token = await t.apiToken(user);
    const lastUsed = async () => (await t.tokens.list({ userId: user.id }))[0]!.lastUsedAt?.getTime() ?? null;
    assert.equal(await lastUsed(), null);
    const use = () => t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
    await use();
    const first = await lastUsed();
    assert.ok(first !== null && Math.abs(first - t.clock.now().getTime()) < 5000);
    t.clock.advance(30_000);
    await use();
    assert.equal(await lastUsed(), first, 'not within the minute');
    t.clock.advance(31_000);
    await use();
    const second = await lastUsed();
    assert.ok(second !== null && second - first! >= 60_000, `${second} vs ${first}`);
    await t.close();
  });
});
