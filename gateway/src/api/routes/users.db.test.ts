import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../../db/testing.js';
import { buildTestApp, bearer } from '../testing.js';

forEachDatabase('users API', (target) => {
  test('admins create, list, read and change users; nobody else may; no hash ever leaves', async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.signIn('admin');
    const h = admin.session.bearer;
    let res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { username: 'Carol', password: 'a long carol password', role: 'operator' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const carol = res.json();
    assert.deepEqual(Object.keys(carol).sort(), [
      'createdAt',
      'disabled',
      'id',
      'role',
      'updatedAt',
      'username',
    ]);
    assert.deepEqual([carol.username, carol.role, carol.disabled], ['carol', 'operator', false]);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { username: 'carol', password: 'another long password', role: 'viewer' },
    });
    assert.equal(res.statusCode, 409);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { username: 'dave', password: 'short', role: 'viewer' },
    });
    assert.equal(res.statusCode, 400);
    res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { username: 'dave', password: 'a long dave password', role: 'root' },
    });
    assert.equal(res.statusCode, 400);

    res = await t.app.inject({ url: '/api/v1/users', headers: h });
    assert.deepEqual(
      res.json().map((u: { username: string; role: string }) => [u.username, u.role]),
      [
        ['admin-1', 'admin'],
        ['carol', 'operator'],
      ],
    );
    assert.doesNotMatch(res.body, /scrypt/);
    res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${carol.id}`,
      headers: h,
      payload: { role: 'viewer', password: 'a reset long password' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const patched = res.json();
    assert.equal(patched.role, 'viewer');
    res = await t.app.inject({ url: `/api/v1/users/${carol.id}`, headers: h });
    assert.equal(res.json().role, 'viewer');
    assert.equal((await t.app.inject({ url: '/api/v1/users/9999', headers: h })).statusCode, 404);
    res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${carol.id}`, headers: h, payload: {} });
    assert.equal(res.statusCode, 400, 'an empty patch');

    const rows = await t.audit.query({ targetType: 'user', limit: 10 });
    assert.deepEqual(
      rows.map((r) => r.action),
      ['user.update', 'user.create'],
    );
    assert.deepEqual(
      [(rows[0]!.before as { role: string }).role, rows[0]!.after],
      ['operator', { ...patched, passwordReset: true }],
    );
    assert.doesNotMatch(JSON.stringify(rows), /password"|scrypt|a reset long/);

    for (const role of ['operator', 'viewer'] as const) {
      const { session } = await t.signIn(role);
      for (const [method, url] of [
        ['GET', '/api/v1/users'],
        ['GET', `/api/v1/users/${carol.id}`],
        ['DELETE', `/api/v1/users/${carol.id}`],
      ] as const) {
        res = await t.app.inject({ method, url, headers: session.bearer });
        assert.equal(res.statusCode, 403, `${role} ${method} ${url}`);
      }
    }
    await t.close();
  });

  test('disabling a user ends their session and token at the very next request; enabling lets them log in again', async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.signIn('admin');
    const { user, session } = await t.signIn('operator');
    const token = await t.apiToken(user);
    for (const headers of [session.cookie, session.bearer, bearer(token)]) {
      assert.equal((await t.app.inject({ url: '/api/v1/devices', headers })).statusCode, 200);
    }
    let res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.session.bearer,
      payload: { disabled: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().disabled, true);
    for (const headers of [session.cookie, session.bearer, bearer(token)]) {
      res = await t.app.inject({ url: '/api/v1/devices', headers });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
    }
    const login = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: user.username, password: user.password },
      });
    assert.equal((await login()).statusCode, 401);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.session.bearer,
      payload: { disabled: false },
    });
    assert.equal((await login()).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/api/v1/devices', headers: bearer(token) })).statusCode, 200);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/devices', headers: session.bearer })).statusCode,
      401,
      'sessions ended by the disable stay ended',
    );
    await t.close();
  });

  test("a session's or token's open live feed is closed (4401) when the user is disabled or the session logs out", async () => {
    const t = await buildTestApp(await target.empty());
    await t.app.ready();
    const admin = await t.signIn('admin');
    const { user, session } = await t.signIn('viewer');
    const token = await t.apiToken(user);
    const other = await t.signIn('viewer');
    const frame = () =>
      t.live.publish({ type: 'rates', at: new Date().toISOString(), intervalMs: 1000, devices: [] });
    const closed = (ws: Awaited<ReturnType<typeof t.app.injectWS>>) =>
      new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    /** Publishes a frame every 50 ms until `done` settles or 3 s pass (then fails). */
    const pump = async <T>(done: Promise<T>, what: string): Promise<T> => {
      const timer = setInterval(frame, 50);
      try {
        return await Promise.race([
          done,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`${what}: still open after 3 s`)), 3000),
          ),
        ]);
      } finally {
        clearInterval(timer);
      }
    };

    const viaCookie = await t.app.injectWS('/api/v1/live', { headers: session.cookie });
    const viaToken = await t.app.injectWS('/api/v1/live', { headers: bearer(token) });
    const bystander = await t.app.injectWS('/api/v1/live', { headers: other.session.bearer });
    const received: string[] = [];
    bystander.on('message', (d) => received.push(String(d)));
    const cookieClosed = closed(viaCookie);
    const tokenClosed = closed(viaToken);
    // while the user is enabled, frames flow and nothing closes
    await pump(new Promise((resolve) => viaCookie.once('message', resolve)), 'first frame');

    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.session.bearer,
      payload: { disabled: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(await pump(Promise.all([cookieClosed, tokenClosed]), 'disabled user'), [4401, 4401]);

    // a logout ends that session's feed only
    const again = await t.signIn('viewer');
    const mine = await t.app.injectWS('/api/v1/live', { headers: again.session.bearer });
    const mineClosed = closed(mine);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: again.session.bearer });
    assert.equal(await pump(mineClosed, 'logged-out session'), 4401);
    assert.equal(bystander.readyState, bystander.OPEN, 'another session keeps its feed');
    assert.ok(received.length > 0);
    bystander.terminate();
    await t.close();
  });

  test('deleting a user ends their session and token at once', async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.signIn('admin');
    const { user, session } = await t.signIn('viewer');
    const token = await t.apiToken(user);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${user.id}`,
      headers: admin.session.bearer,
    });
    assert.equal(res.statusCode, 204);
    for (const headers of [session.cookie, bearer(token)]) {
      assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers })).statusCode, 401);
    }
    const [row] = await t.audit.query({ targetType: 'user', limit: 1 });
    assert.deepEqual(
      [row!.action, (row!.before as { username: string }).username, row!.after],
      ['user.delete', user.username, null],
    );
    await t.close();
  });

  test('the last enabled admin cannot be disabled, demoted or deleted (409); with a second admin they can', async () => {
    const t = await buildTestApp(await target.empty());
    const { user: admin, session } = await t.signIn('admin');
    // a disabled admin does not count
    const dormant = await t.createUser('admin');
    await t.users.update(dormant.id, { disabled: true });
    const h = session.bearer;
    for (const [method, payload] of [
      ['PATCH', { disabled: true }],
      ['PATCH', { role: 'operator' }],
      ['PATCH', { role: 'viewer', disabled: false }],
      ['DELETE', undefined],
    ] as const) {
      const res = await t.app.inject({ method, url: `/api/v1/users/${admin.id}`, headers: h, payload });
      assert.equal(res.statusCode, 409, `${method} ${JSON.stringify(payload)}`);
      assert.match(res.json().error.message, /last enabled admin/);
    }
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: h })).json().role, 'admin');
    assert.equal((await t.audit.query({ limit: 10 })).length, 0, 'refused changes leave no audit row');

    let res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${dormant.id}`,
      headers: h,
      payload: { disabled: false },
    });
    assert.equal(res.statusCode, 200);
    res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${admin.id}`,
      headers: h,
      payload: { role: 'viewer' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/users', headers: h })).statusCode,
      403,
      'demoted at once',
    );
    // two concurrent demotions of the two remaining admins: one must fail
    const other = await t.createUser('admin');
    const results = await Promise.allSettled([
      t.users.update(dormant.id, { role: 'viewer' }),
      t.users.update(other.id, { disabled: true }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    await t.close();
  });
});
