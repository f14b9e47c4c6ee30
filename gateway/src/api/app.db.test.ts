import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../db/testing.js';
import type { Database } from '../db/open.js';
import { DeviceStore } from '../db/device-store.js';
import { buildTestApp, bearer, type TestApp } from './testing.js';

interface Fixture extends TestApp {
  adminToken: string;
  viewerToken: string;
  operatorToken: string;
}

async function setup(database: Database): Promise<Fixture> {
  const t = await buildTestApp(database);
  // Named as before: root (admin), watcher (viewer).
  const root = await t.createUser('admin', { username: 'root', password: 'a long admin password' });
  const watcher = await t.createUser('viewer', { username: 'watcher', password: 'a long viewer password' });
  const operator = await t.createUser('operator', {
    username: 'parent',
    password: 'a long operator password',
  });
  return {
    ...t,
    adminToken: (await t.login(root)).token,
    viewerToken: (await t.login(watcher)).token,
    operatorToken: (await t.login(operator)).token,
  };
}

forEachDatabase('API', (target) => {
  test('every route of the OpenAPI document that is not public refuses anonymous and bogus credentials', async () => {
    const f = await setup(await target.open());
    const spec = (await f.app.inject({ url: '/api/v1/openapi.json', headers: bearer(f.viewerToken) })).json();
    const routes: Array<[string, string, string]> = [['GET', '/api/v1/openapi.json', 'viewer']];
    for (const [path, ops] of Object.entries(
      spec.paths as Record<string, Record<string, { 'x-pp-access': string }>>,
    )) {
      for (const [method, op] of Object.entries(ops))
        routes.push([method.toUpperCase(), path, op['x-pp-access']]);
    }
    assert.ok(routes.length >= 8, `expected the documented routes, got ${routes.length}`);
    const open = routes.filter(([, , access]) => access === 'public').map(([m, p]) => `${m} ${p}`);
    assert.ok(open.includes('GET /api/v1/health') && open.includes('POST /api/v1/auth/login'), String(open));
    for (const [method, path, access] of routes) {
      assert.ok(
        ['public', 'agent', 'viewer', 'operator', 'admin'].includes(access),
        `${method} ${path}: ${access}`,
      );
      if (access === 'public') continue;
      const url = path.replace(/\{[^}]+\}/g, String(f.deviceId));
      const key = `${method} ${path}`;
      for (const headers of [
        {},
        bearer('x'.repeat(43)),
        bearer(`ppt_1_${'x'.repeat(43)}`),
        { authorization: 'Basic cm9vdDpwdw==' },
        { authorization: 'Agent 1.not-a-secret' },
        { cookie: 'pp_session=forged-session-token-123456' },
      ]) {
        const res = await f.app.inject({
          method: method as 'GET',
          url,
          headers,
          payload: method === 'GET' ? undefined : {},
        });
        assert.equal(res.statusCode, 401, `${key} with ${JSON.stringify(headers)} → ${res.statusCode}`);
        assert.equal(res.json().error.code, 'PP_E_UNAUTHORIZED');
      }
    }
    assert.equal((await f.app.inject({ url: '/api/v1/health' })).statusCode, 200);
    await f.app.close();
  });

  test('login: generic error for wrong password or unknown user; cookie and bearer both work; logout ends it', async () => {
    const f = await setup(await target.open());
    for (const payload of [
      { username: 'root', password: 'wrong password!!' },
      { username: 'nobody', password: 'a long admin password' },
    ]) {
      const res = await f.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), {
        error: { code: 'PP_E_UNAUTHORIZED', message: 'wrong username or password' },
      });
    }
    const res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'ROOT', password: 'a long admin password' },
    });
    assert.equal(res.statusCode, 200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const sessionCookie = cookies.find((c) => c.startsWith('pp_session='))!;
    assert.match(sessionCookie, /pp_session=[^;]+; .*HttpOnly/);
    assert.match(sessionCookie, /SameSite=Strict/);
    assert.doesNotMatch(sessionCookie, /Secure/, 'plain HTTP in tests');
    const csrfCookie = cookies.find((c) => c.startsWith('pp_csrf='))!;
    assert.match(csrfCookie, /SameSite=Strict/);
    assert.doesNotMatch(csrfCookie, /HttpOnly/, 'the UI reads it');
    assert.equal(csrfCookie.split(';')[0], `pp_csrf=${res.json().csrfToken}`);
    const session = sessionCookie.split(';')[0]!;
    assert.equal(
      (await f.app.inject({ url: '/api/v1/auth/me', headers: { cookie: session } })).json().username,
      'root',
    );
    const token = res.json().token as string;
    assert.equal((await f.app.inject({ url: '/api/v1/devices', headers: bearer(token) })).statusCode, 200);
    assert.equal(
      (await f.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) })).statusCode,
      204,
    );
    assert.equal((await f.app.inject({ url: '/api/v1/devices', headers: bearer(token) })).statusCode, 401);
    await f.app.close();
  });

  test('bad input: malformed JSON, unknown device, bucket=century, bad dates, unknown fields → 4xx with a clear message', async () => {
    const f = await setup(await target.open());
    const h = { ...bearer(f.adminToken), 'content-type': 'application/json' };
    let res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: h,
      payload: '{"username":',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'PP_E_BAD_JSON');
    res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${f.deviceId}`,
      headers: h,
      payload: '{name:',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'PP_E_BAD_JSON');
    res = await f.app.inject({
      method: 'PATCH',
      url: '/api/v1/devices/999999',
      headers: h,
      payload: { name: 'x' },
    });
    assert.equal(res.statusCode, 404);
    assert.match(res.json().error.message, /device 999999 not found/);
    res = await f.app.inject({ url: '/api/v1/devices/999999/usage', headers: h });
    assert.equal(res.statusCode, 404);
    res = await f.app.inject({ url: '/api/v1/devices/abc', headers: h });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'PP_E_VALIDATION');
    res = await f.app.inject({ url: `/api/v1/devices/${f.deviceId}/usage?bucket=century`, headers: h });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'PP_E_VALIDATION');
    assert.match(res.json().error.message, /bucket/);
    res = await f.app.inject({ url: `/api/v1/devices/${f.deviceId}/usage?from=yesterday`, headers: h });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /from/);
    res = await f.app.inject({
      url: `/api/v1/devices/${f.deviceId}/usage?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z`,
      headers: h,
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /from must be before to/);
    res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${f.deviceId}`,
      headers: h,
      payload: { name: 'x', admin: true },
    });
    assert.equal(res.statusCode, 400);
    res = await f.app.inject({ url: '/api/v1/nope', headers: h });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'PP_E_NOT_FOUND');
    await f.app.close();
  });

  test('devices, rename (operator and up) and usage series/summary from stored usage', async () => {
    const f = await setup(await target.open());
    const at = new Date(Date.now() - 30 * 60_000);
    await f.usage.commit({
      increments: [
        { at, deviceId: f.deviceId, kind: 0, rxBytes: 5000, txBytes: 700, rxPackets: 5, txPackets: 2 },
        { at, deviceId: 0, kind: 0, rxBytes: 11, txBytes: 0, rxPackets: 1, txPackets: 0 },
        { at, deviceId: f.deviceId, kind: 1, rxBytes: 90, txBytes: 60, rxPackets: 1, txPackets: 1 },
      ],
      baselines: [],
    });
    const list = (await f.app.inject({ url: '/api/v1/devices', headers: bearer(f.viewerToken) })).json();
    assert.equal(list.length, 1);
    assert.deepEqual(
      { mac: list[0].mac, ips: list[0].ips, rx: list[0].rxBytes, tx: list[0].txBytes },
      { mac: '02:50:50:00:00:01', ips: ['192.168.77.11'], rx: 5000, tx: 700 },
    );
    let res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${f.deviceId}`,
      headers: bearer(f.viewerToken),
      payload: { name: 'Kid laptop' },
    });
    assert.equal(res.statusCode, 403);
    res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/devices/${f.deviceId}`,
      headers: bearer(f.operatorToken),
      payload: { name: 'Kid laptop' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().name, 'Kid laptop');
    res = await f.app.inject({
      url: `/api/v1/devices/${f.deviceId}/usage?bucket=minute&from=${new Date(Date.now() - 3_600_000).toISOString()}`,
      headers: bearer(f.viewerToken),
    });
    assert.equal(res.statusCode, 200);
    const series = res.json();
    assert.equal(series.rxBytes, 5000);
    assert.equal(series.txBytes, 700);
    assert.equal(series.points.length, 60);
    res = await f.app.inject({ url: '/api/v1/usage/summary', headers: bearer(f.viewerToken) });
    const summary = res.json();
    assert.deepEqual(summary.devices, [
      { deviceId: f.deviceId, name: 'Kid laptop', rxBytes: 5000, txBytes: 700 },
    ]);
    assert.deepEqual(summary.unattributed, { rxBytes: 11, txBytes: 0 });
    assert.deepEqual(summary.gateway, { rxBytes: 90, txBytes: 60 });
    await f.app.close();
  });

  test('live WebSocket needs a session and delivers rate frames', async () => {
    const f = await setup(await target.open());
    await f.app.ready();
    await assert.rejects(f.app.injectWS('/api/v1/live'), /401|Unexpected server response/);
    const ws = await f.app.injectWS('/api/v1/live', { headers: bearer(f.viewerToken) });
    const frame = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    f.live.publish({
      type: 'rates',
      at: new Date().toISOString(),
      intervalMs: 1000,
      devices: [{ deviceId: 1, rxBps: 10, txBps: 2 }],
    });
    const got = JSON.parse(await frame);
    assert.equal(got.devices[0].rxBps, 10);
    ws.terminate();
    await f.app.close();
  });
});

forEachDatabase('Rules and catalogue API', (target) => {
  const json = (token: string) => ({ ...bearer(token), 'content-type': 'application/json' });

  test('rules: create, get, list ?device=, patch, delete; viewers read but cannot change them (403)', async () => {
    const database = await target.open();
    const f = await setup(database);
    const kid = f.deviceId;
    const blockInternet = {
      action: 'block',
      target: { type: 'internet' },
      scope: { type: 'device', id: kid },
    };
    for (const [method, url, payload] of [
      ['POST', '/api/v1/rules', blockInternet],
      ['PATCH', '/api/v1/rules/1', { enabled: false }],
      ['DELETE', '/api/v1/rules/1', undefined],
    ] as const) {
      const headers = payload ? json(f.viewerToken) : bearer(f.viewerToken);
      const res = await f.app.inject({ method, url, headers, payload });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(res.json().error.code, 'PP_E_FORBIDDEN');
    }

    let res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/rules',
      headers: json(f.operatorToken),
      payload: { ...blockInternet, note: 'bed time' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const internet = res.json();
    assert.deepEqual(Object.keys(internet).sort(), [
      'action',
      'createdAt',
      'enabled',
      'hits',
      'id',
      'lastHitAt',
      'note',
      'scope',
      'target',
      'updatedAt',
    ]);
    assert.deepEqual(
      [internet.action, internet.target, internet.scope, internet.enabled, internet.note, internet.hits],
      ['block', { type: 'internet' }, { type: 'device', id: kid }, true, 'bed time', 0],
    );
    assert.deepEqual(f.engine.decide(kid, 'example.com'), {
      action: 'block',
      ruleId: internet.id,
      reason: 'rule',
    });

    res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/rules',
      headers: json(f.adminToken),
      payload: {
        action: 'allow',
        target: { type: 'domain', value: 'KhanAcademy.org.' },
        scope: { type: 'all' },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const khan = res.json();
    assert.deepEqual(khan.target, { type: 'domain', value: 'khanacademy.org' });
    assert.equal(f.engine.decide(kid, 'www.khanacademy.org').action, 'allow');

    const other = await new DeviceStore(database.db).upsertSeen({ mac: '02:50:50:00:00:09', addresses: [] });
    res = await f.app.inject({
      method: 'POST',
      url: '/api/v1/rules',
      headers: json(f.adminToken),
      payload: {
        action: 'block',
        target: { type: 'category', id: 'gaming' },
        scope: { type: 'device', id: other.id },
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const gaming = res.json();
    res = await f.app.inject({ url: '/api/v1/rules', headers: bearer(f.viewerToken) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      res.json().map((r: { id: number }) => r.id),
      [internet.id, khan.id, gaming.id],
    );
    res = await f.app.inject({ url: `/api/v1/rules?device=${kid}`, headers: bearer(f.viewerToken) });
    assert.deepEqual(
      res.json().map((r: { id: number }) => r.id),
      [internet.id, khan.id],
    );
    res = await f.app.inject({ url: `/api/v1/rules/${khan.id}`, headers: bearer(f.viewerToken) });
    assert.deepEqual(res.json(), khan);

    res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/rules/${internet.id}`,
      headers: json(f.adminToken),
      payload: { enabled: false, note: null },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      [res.json().enabled, res.json().note, res.json().target],
      [false, null, { type: 'internet' }],
    );
    assert.equal(f.engine.decide(kid, 'example.com').action, 'allow');
    res = await f.app.inject({
      method: 'PATCH',
      url: `/api/v1/rules/${internet.id}`,
      headers: json(f.adminToken),
      payload: { target: { type: 'service', id: 'youtube' }, scope: { type: 'all' }, enabled: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(f.engine.decide(0, 'www.youtube.com').action, 'block');

    res = await f.app.inject({
      method: 'DELETE',
      url: `/api/v1/rules/${internet.id}`,
      headers: bearer(f.adminToken),
    });
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(f.engine.decide(0, 'www.youtube.com').action, 'allow');
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      res = await f.app.inject({
        method,
        url: `/api/v1/rules/${internet.id}`,
        headers: method === 'PATCH' ? json(f.adminToken) : bearer(f.adminToken),
        payload: method === 'PATCH' ? { enabled: true } : undefined,
      });
      assert.equal(res.statusCode, 404, method);
      assert.match(res.json().error.message, new RegExp(`rule ${internet.id} not found`));
    }
    await f.app.close();
  });

  test('rules: invalid input is a 400 that says what is wrong', async () => {
    const f = await setup(await target.open());
    const cases: Array<[object, RegExp]> = [
      [
        { action: 'block', target: { type: 'service', id: 'myspace' }, scope: { type: 'all' } },
        /unknown service 'myspace'/,
      ],
      [
        { action: 'block', target: { type: 'category', id: 'sports' }, scope: { type: 'all' } },
        /unknown category 'sports'/,
      ],
      [
        { action: 'block', target: { type: 'domain', value: 'not a domain!' }, scope: { type: 'all' } },
        /not a valid domain name/,
      ],
      [
        { action: 'block', target: { type: 'domain', value: '10.0.0.1' }, scope: { type: 'all' } },
        /IP address/,
      ],
      [
        { action: 'block', target: { type: 'internet' }, scope: { type: 'device', id: 9999 } },
        /device 9999 not found/,
      ],
      [{ action: 'limit', target: { type: 'internet' }, scope: { type: 'all' } }, /action/],
      [{ action: 'block', target: { type: 'service' }, scope: { type: 'all' } }, /target/],
      [{ action: 'block', target: { type: 'internet' } }, /scope/],
      [
        { action: 'block', target: { type: 'internet' }, scope: { type: 'all' }, priority: 1 },
        /priority|additional/,
      ],
    ];
    for (const [payload, message] of cases) {
      const res = await f.app.inject({
        method: 'POST',
        url: '/api/v1/rules',
        headers: bearer(f.adminToken),
        payload,
      });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'PP_E_VALIDATION');
      assert.match(res.json().error.message, message, JSON.stringify(payload));
    }
    let res = await f.app.inject({
      method: 'PATCH',
      url: '/api/v1/rules/1',
      headers: bearer(f.adminToken),
      payload: {},
    });
    assert.equal(res.statusCode, 400);
    res = await f.app.inject({ url: '/api/v1/rules?device=9999', headers: bearer(f.adminToken) });
    assert.equal(res.statusCode, 404);
    res = await f.app.inject({ url: '/api/v1/rules/abc', headers: bearer(f.adminToken) });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(
      (await f.app.inject({ url: '/api/v1/rules', headers: bearer(f.adminToken) })).json(),
      [],
    );
    await f.app.close();
  });

  test('explain: the deciding rule, every match winner first, service, category, bypass', async () => {
    const f = await setup(await target.open());
    const post = async (payload: object) =>
      (
        await f.app.inject({ method: 'POST', url: '/api/v1/rules', headers: bearer(f.adminToken), payload })
      ).json();
    const block = await post({
      action: 'block',
      target: { type: 'service', id: 'youtube' },
      scope: { type: 'all' },
    });
    const allow = await post({
      action: 'allow',
      target: { type: 'service', id: 'youtube' },
      scope: { type: 'device', id: f.deviceId },
    });
    let res = await f.app.inject({
      url: `/api/v1/rules/explain?device=${f.deviceId}&domain=WWW.YouTube.com`,
      headers: bearer(f.viewerToken),
    });
    assert.equal(res.statusCode, 200, res.body);
    const e = res.json();
    assert.deepEqual(
      [e.domain, e.decision, e.reason, e.rule.id, e.service, e.category, e.bypass],
      [
        'www.youtube.com',
        'allow',
        'rule',
        allow.id,
        { id: 'youtube', name: 'YouTube' },
        { id: 'video', name: 'Video and streaming' },
        null,
      ],
    );
    assert.deepEqual(
      e.matched.map((m: { rule: { id: number }; specificity: object }) => [m.rule.id, m.specificity]),
      [
        [allow.id, { target: 'service', length: 0, scope: 'device' }],
        [block.id, { target: 'service', length: 0, scope: 'all' }],
      ],
    );
    res = await f.app.inject({
      url: '/api/v1/rules/explain?device=0&domain=youtube.com',
      headers: bearer(f.viewerToken),
    });
    assert.deepEqual([res.json().decision, res.json().rule.id], ['block', block.id]);
    res = await f.app.inject({
      url: '/api/v1/rules/explain?device=0&domain=dns.google',
      headers: bearer(f.viewerToken),
    });
    assert.deepEqual(
      [res.json().decision, res.json().reason, res.json().rule, res.json().bypass],
      ['block', 'bypass', null, 'encrypted-dns'],
    );
    res = await f.app.inject({ url: '/api/v1/rules/explain?device=0', headers: bearer(f.viewerToken) });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /domain/);
    res = await f.app.inject({
      url: '/api/v1/rules/explain?device=9999&domain=x.com',
      headers: bearer(f.viewerToken),
    });
    assert.equal(res.statusCode, 404);
    await f.app.close();
  });

  test('catalogue: services with category and domains, categories with services', async () => {
    const f = await setup(await target.open());
    const services = (
      await f.app.inject({ url: '/api/v1/catalog/services', headers: bearer(f.viewerToken) })
    ).json();
    assert.equal(services.length, 43);
    const youtube = services.find((s: { id: string }) => s.id === 'youtube');
    assert.deepEqual([youtube.name, youtube.category], ['YouTube', 'video']);
    assert.ok(youtube.domains.includes('youtube.com') && youtube.domainCount === youtube.domains.length);
    const categories = (
      await f.app.inject({ url: '/api/v1/catalog/categories', headers: bearer(f.viewerToken) })
    ).json();
    assert.ok(categories.find((c: { id: string }) => c.id === 'video').services.includes('youtube'));
    assert.equal(
      categories.reduce((n: number, c: { services: string[] }) => n + c.services.length, 0),
      43,
    );
    await f.app.close();
  });
});
