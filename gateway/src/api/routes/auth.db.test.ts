import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../../db/testing.js';
import { buildTestApp, bearer, type TestApp } from '../testing.js';

const login = (t: TestApp, username: string, password: string, remoteAddress = '192.168.77.20') =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });

forEachDatabase('auth API', (target) => {
  test('login brute force: 10 wrong passwords answered, the 11th (even right) 429 with Retry-After, a right one after the window works', async () => {
    const t = await buildTestApp(await target.empty());
    const alice = await t.createUser('admin', { username: 'alice' });
    for (let i = 1; i <= 10; i++) {
      const res = await login(t, 'alice', `wrong password ${i}`);
      assert.equal(res.statusCode, 401, `attempt ${i}`);
      assert.equal(res.json().error.message, 'wrong username or password');
      t.clock.advance(1000);
    }
    let res = await login(t, 'alice', alice.password);
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().error.code, 'PP_E_RATE_LIMITED');
    // locked for a minute from the 10th failure, 1 s ago
    assert.equal(res.headers['retry-after'], '59');
    res = await login(t, 'ALICE', alice.password, '192.168.77.99');
    assert.equal(res.statusCode, 429, 'the username is locked from another address too');
    res = await login(t, 'someone-else', 'whatever password', '192.168.77.20');
    assert.equal(res.statusCode, 429, 'and the address for other usernames');
    t.clock.advance(59_000);
    res = await login(t, 'alice', alice.password);
    assert.equal(res.statusCode, 200, res.body);
    await t.close();
  });

  test('setup token: only while there is no user, once; wrong token 401 and rate limited', async () => {
    const t = await buildTestApp(await target.empty());
    const setup = (payload: object, remoteAddress = '192.168.77.30') =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/setup', payload, remoteAddress });
    let res = await setup({ token: 'x'.repeat(32), username: 'first', password: 'a long first password' });
    assert.equal(res.statusCode, 409, 'never offered: no setup token was made');

    const token = await t.auth.prepareSetup();
    assert.ok(token && token.length >= 32);
    res = await setup({ token: 'y'.repeat(32), username: 'first', password: 'a long first password' });
    assert.equal(res.statusCode, 401);
    // guessing is limited like logins: 10 more wrong tokens from one address, then 429 even with the right one
    for (let i = 0; i < 10; i++) {
      res = await setup(
        { token: `guess-${i}`.padEnd(32, '!'), username: 'x', password: 'y' },
        '192.168.77.31',
      );
      assert.equal(res.statusCode, 401);
    }
    res = await setup({ token, username: 'first', password: 'a long first password' }, '192.168.77.31');
    assert.equal(res.statusCode, 429);
    res = await setup({ token, username: 'first', password: 'short' });
    assert.equal(res.statusCode, 400, 'a bad password…');
    res = await setup({ token, username: 'First', password: 'a long first password' });
    assert.equal(res.statusCode, 201, '…leaves the token usable');
    assert.deepEqual(res.json(), { id: res.json().id, username: 'first', role: 'admin' });
    res = await setup({ token, username: 'second', password: 'a long second password' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'PP_E_CONFLICT');
    assert.equal((await login(t, 'first', 'a long first password')).statusCode, 200);
    assert.equal(await t.auth.prepareSetup(), null, 'a database with users gets no setup token');

    const rows = await t.audit.query({ actor: 'first', limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.action, r.actor.type, r.actor.name, r.ip, r.targetId]),
      [
        ['session.login', 'user', 'first', '192.168.77.20', String(res.json().id ?? rows[0]!.targetId)],
        ['user.setup', 'user', 'first', '192.168.77.30', rows[0]!.targetId],
      ],
    );
    assert.deepEqual(rows[1]!.after, { id: Number(rows[1]!.targetId), username: 'first', role: 'admin' });

    await t.close();
  });

  test('change own password: wrong current 403; other sessions end, this one stays; the new one logs in', async () => {
    const t = await buildTestApp(await target.empty());
    const bob = await t.createUser('viewer', { username: 'bob' });
    const here = await t.login(bob);
    const elsewhere = await t.login(bob);
    const change = (current: string, next: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: here.cookieWithCsrf,
        payload: { current, new: next },
      });
    let res = await change('not my password', 'a new long password');
    assert.equal(res.statusCode, 403);
    res = await change(bob.password, 'short');
    assert.equal(res.statusCode, 400);
    res = await change(bob.password, 'a new long password');
    assert.equal(res.statusCode, 204, res.body);
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: here.cookie })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/api/v1/auth/me', headers: elsewhere.bearer })).statusCode, 401);
    assert.equal((await login(t, 'bob', bob.password)).statusCode, 401);
    assert.equal((await login(t, 'bob', 'a new long password')).statusCode, 200);
    await t.close();
  });

  test('CSRF: a change with the session cookie needs x-csrf-token; Bearer needs none', async () => {
    const t = await buildTestApp(await target.empty());
    const { session } = await t.signIn('operator');
    const patch = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/devices/${t.deviceId}`,
        headers,
        payload: { name: 'Tablet' },
      });
    let res = await patch(session.cookie);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'PP_E_CSRF');
    res = await patch({ ...session.cookie, 'x-csrf-token': 'a'.repeat(43) });
    assert.equal(res.json().error.code, 'PP_E_CSRF', 'a wrong token');
    const other = await t.login((await t.signIn('operator')).user);
    res = await patch({ ...session.cookie, 'x-csrf-token': other.csrfToken });
    assert.equal(res.json().error.code, 'PP_E_CSRF', "another session's token");
    res = await patch(session.cookieWithCsrf);
    assert.equal(res.statusCode, 200, res.body);
    res = await patch(session.bearer);
    assert.equal(res.statusCode, 200, res.body);
    // reads need no header; nor does logout with Bearer
    assert.equal((await t.app.inject({ url: '/api/v1/devices', headers: session.cookie })).statusCode, 200);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: session.cookie });
    assert.equal(res.statusCode, 403, 'logout with the cookie is a change too');
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: session.cookieWithCsrf });
    assert.equal(res.statusCode, 204);
    assert.match(String(res.headers['set-cookie']), /pp_session=;.*pp_csrf=;/s);
    assert.equal((await patch(session.bearer)).statusCode, 401, 'the session ended');
    await t.close();
  });

  test('login reply: csrfToken matches the pp_csrf cookie; cookies are Secure over TLS', async () => {
    const t = await buildTestApp(await target.empty(), { secureCookies: true });
    const u = await t.createUser('viewer');
    const res = await login(t, u.username, u.password);
    assert.equal(res.statusCode, 200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    assert.equal(cookies.length, 2);
    for (const c of cookies) assert.match(c, /; Secure/);
    assert.ok(cookies.some((c) => c.startsWith(`pp_csrf=${res.json().csrfToken};`)));
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(res.json().token) });
    assert.equal(me.json().username, u.username);
    await t.close();
  });
});
