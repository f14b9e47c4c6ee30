import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../../db/testing.js';
import { buildTestApp, bearer } from '../testing.js';

forEachDatabase('audit log', (target) => {
  test('rule create, patch, delete: exactly one row each with actor, address and before/after', async () => {
    const t = await buildTestApp(await target.empty());
    const { user, session } = await t.signIn('operator');
    const remoteAddress = '192.168.77.42';
    let res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/rules',
      headers: session.cookieWithCsrf,
      remoteAddress,
      payload: { action: 'block', target: { type: 'service', id: 'youtube' }, scope: { type: 'all' } },
    });
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json();
    res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/rules/${created.id}`,
      headers: session.bearer,
      remoteAddress,
      payload: { enabled: false },
    });
    const patched = res.json();
    const token = await t.apiToken(user);
    res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/rules/${created.id}`,
      headers: bearer(token),
      remoteAddress,
    });
    assert.equal(res.statusCode, 204);

    const rows = await t.audit.query({ limit: 100 });
    assert.deepEqual(
      rows.map((r) => [r.action, r.targetType, r.targetId, r.actor.type, r.actor.name, r.ip]),
      [
        ['rule.delete', 'rule', String(created.id), 'token', user.username, remoteAddress],
        ['rule.update', 'rule', String(created.id), 'user', user.username, remoteAddress],
        ['rule.create', 'rule', String(created.id), 'user', user.username, remoteAddress],
      ],
    );
    const [del, upd, cre] = rows;
    assert.deepEqual([cre!.before, cre!.after], [null, created]);
    assert.deepEqual([upd!.before, upd!.after], [created, patched]);
    assert.deepEqual([del!.before, del!.after], [patched, null]);
    assert.equal(cre!.actor.id, user.id, 'a session names the user');
    assert.notEqual(del!.actor.id, null, 'a token names itself');
    await t.close();
  });

  test('a refused or failed change leaves no row; reads leave none', async () => {
    const t = await buildTestApp(await target.empty());
    const viewer = await t.signIn('viewer');
    const admin = await t.signIn('admin');
    const attempts = [
      { method: 'POST', url: '/api/v1/rules', headers: viewer.session.bearer, payload: { action: 'block' } },
      {
        method: 'POST',
        url: '/api/v1/rules',
        headers: admin.session.bearer,
        payload: { action: 'block', target: { type: 'service', id: 'myspace' }, scope: { type: 'all' } },
      },
      {
        method: 'PATCH',
        url: '/api/v1/rules/999',
        headers: admin.session.bearer,
        payload: { enabled: false },
      },
      { method: 'DELETE', url: '/api/v1/rules/999', headers: admin.session.bearer },
      { method: 'PATCH', url: '/api/v1/devices/999', headers: admin.session.bearer, payload: { name: 'x' } },
      {
        method: 'PATCH',
        url: '/api/v1/settings/dns',
        headers: admin.session.bearer,
        payload: { upstreams: ['nope'] },
      },
      {
        method: 'PATCH',
        url: `/api/v1/devices/${t.deviceId}`,
        headers: admin.session.cookie,
        payload: { name: 'x' },
      },
      { method: 'GET', url: '/api/v1/rules', headers: admin.session.bearer },
    ] as const;
    for (const a of attempts) {
      const res = await t.app.inject(a);
      assert.ok(res.statusCode >= 400 || a.method === 'GET', `${a.method} ${a.url} → ${res.statusCode}`);
    }
    assert.deepEqual(await t.audit.query({ limit: 10 }), []);
    await t.close();
  });

  test('device and DNS settings changes record before/after; logout is recorded', async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.signIn('admin');
    let res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${t.deviceId}`,
      headers: admin.session.bearer,
      payload: { name: 'Kid tablet', blockQuic: true },
    });
    assert.equal(res.statusCode, 200);
    res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/settings/dns',
      headers: admin.session.bearer,
      payload: { upstreams: ['9.9.9.9'] },
    });
    assert.equal(res.statusCode, 200, res.body);
    res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: admin.session.bearer });
    assert.equal(res.statusCode, 204);
    const [logout, setting, device] = await t.audit.query({ limit: 10 });
    assert.deepEqual([logout!.action, logout!.targetId], ['session.logout', String(admin.user.id)]);
    assert.deepEqual(
      [setting!.action, setting!.targetType, setting!.targetId],
      ['setting.update', 'setting', 'dns'],
    );
    assert.deepEqual(
      [
        (setting!.before as { upstreams: string[] }).upstreams,
        (setting!.after as { upstreams: string[] }).upstreams,
      ],
      [['198.18.0.1'], ['9.9.9.9']],
    );
    assert.deepEqual(
      [
        device!.action,
        (device!.before as { name: string | null; blockQuic: boolean }).name,
        (device!.after as { name: string; blockQuic: boolean }).name,
        (device!.before as { blockQuic: boolean }).blockQuic,
        (device!.after as { blockQuic: boolean }).blockQuic,
      ],
      ['device.update', null, 'Kid tablet', false, true],
    );
    await t.close();
  });

  test('GET /audit: admin only, newest first, filters by actor, type and time, pages with before', async () => {
    const t = await buildTestApp(await target.empty());
    const admin = await t.signIn('admin');
    const op = await t.signIn('operator');
    const post = (headers: Record<string, string>, id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/rules',
        headers,
        payload: { action: 'block', target: { type: 'service', id }, scope: { type: 'all' } },
      });
    await post(admin.session.bearer, 'youtube');
    const middle = t.clock.now();
    t.clock.advance(60_000);
    await post(op.session.bearer, 'tiktok');
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${t.deviceId}`,
      headers: op.session.bearer,
      payload: { name: 'x' },
    });
    const get = (query: string, headers = admin.session.bearer) =>
      t.app.inject({ url: `/api/v1/audit${query}`, headers });
    assert.equal((await get('', op.session.bearer)).statusCode, 403);
    let res = await get('');
    assert.equal(res.statusCode, 200, res.body);
    const all = res.json();
    assert.deepEqual(
      all.entries.map((e: { action: string }) => e.action),
      ['device.update', 'rule.create', 'rule.create'],
    );
    assert.equal(all.next, null);
    res = await get(`?actor=${op.user.username.toUpperCase()}&type=rule`);
    assert.deepEqual(
      res.json().entries.map((e: { after: { target: { id: string } } }) => e.after.target.id),
      ['tiktok'],
    );
    res = await get(`?to=${encodeURIComponent(new Date(middle.getTime() + 1000).toISOString())}`);
    assert.deepEqual(
      res.json().entries.map((e: { actor: { name: string } }) => e.actor.name),
      [admin.user.username],
    );
    res = await get(
      `?from=${encodeURIComponent(new Date(middle.getTime() + 1000).toISOString())}&type=device`,
    );
    assert.equal(res.json().entries.length, 1);
    res = await get('?limit=2');
    assert.equal(res.json().entries.length, 2);
    res = await get(`?limit=2&before=${res.json().next}`);
    assert.deepEqual(
      res.json().entries.map((e: { id: number }) => e.id),
      [all.entries[2].id],
    );
    assert.equal((await get('?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).statusCode, 400);
    assert.equal((await get('?limit=0')).statusCode, 400);
    await t.close();
  });
});
