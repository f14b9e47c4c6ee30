import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { forEachDatabase } from '../db/testing.js';
import { normalizeAddress } from './access-control.js';
import { buildTestApp, bearer } from './testing.js';

test('local addresses are compared without the IPv4-mapped prefix and the zone', () => {
  assert.equal(normalizeAddress('::ffff:192.168.77.1'), '192.168.77.1');
  assert.equal(normalizeAddress('FE80::1%lan0'), 'fe80::1');
  assert.equal(normalizeAddress('::ffff:abcd'), '::ffff:abcd');
});

forEachDatabase('access control', (target) => {
  test('a route without config.access makes ready() fail, naming the route', async () => {
    const t = await buildTestApp(await target.empty());
    t.app.get('/api/v1/forgotten', { schema: { response: { 200: Type.Null() } } }, async () => null);
    t.app.post('/api/v1/misspelt', { config: { access: 'everyone' as never } }, async () => null);
    await assert.rejects(
      async () => t.app.ready(),
      (err: Error) => {
        assert.match(err.message, /routes without config\.access/);
        assert.match(err.message, /GET \/api\/v1\/forgotten/);
        assert.match(err.message, /POST \/api\/v1\/misspelt/);
        return true;
      },
    );
    await t.close().catch(() => undefined);
  });

  test('levels: viewer < operator < admin; agents only where agent; users never there', async () => {
    const t = await buildTestApp(await target.empty());
    t.app.get(
      '/api/v1/test/agent-only',
      { config: { access: 'agent' } },
      async (request) => request.principal,
    );
    const agent = { authorization: t.agentCredential() };
    const roles = {
      viewer: (await t.signIn('viewer')).session.bearer,
      operator: (await t.signIn('operator')).session.bearer,
      admin: (await t.signIn('admin')).session.bearer,
    };
    const cases: Array<[string, string, object | undefined, Record<string, number>]> = [
      ['GET', '/api/v1/devices', undefined, { viewer: 200, operator: 200, admin: 200, agent: 403 }],
      [
        'PATCH',
        `/api/v1/devices/${t.deviceId}`,
        { blockQuic: true },
        { viewer: 403, operator: 200, admin: 200, agent: 403 },
      ],
      [
        'PATCH',
        '/api/v1/settings/dns',
        { blockTtl: 30 },
        { viewer: 403, operator: 403, admin: 200, agent: 403 },
      ],
      ['GET', '/api/v1/users', undefined, { viewer: 403, operator: 403, admin: 200, agent: 403 }],
      ['GET', '/api/v1/audit', undefined, { viewer: 403, operator: 403, admin: 200, agent: 403 }],
      ['GET', '/api/v1/tokens', undefined, { viewer: 200, operator: 200, admin: 200, agent: 403 }],
      ['GET', '/api/v1/test/agent-only', undefined, { viewer: 403, operator: 403, admin: 403, agent: 200 }],
      ['GET', '/api/v1/health', undefined, { viewer: 200, operator: 200, admin: 200, agent: 200 }],
    ];
    for (const [method, url, payload, expected] of cases) {
      for (const [who, headers] of Object.entries({ ...roles, agent })) {
        const res = await t.app.inject({ method: method as 'GET', url, headers, payload });
        assert.equal(res.statusCode, expected[who], `${who} ${method} ${url}: ${res.body}`);
        if (res.statusCode === 403) assert.equal(res.json().error.code, 'PP_E_FORBIDDEN');
      }
    }
    const res = await t.app.inject({ url: '/api/v1/test/agent-only', headers: agent });
    assert.deepEqual(res.json(), { kind: 'agent', agentId: 1, deviceId: t.deviceId });
    assert.equal((await t.app.inject({ url: '/api/v1/test/agent-only' })).statusCode, 401);
    assert.equal(
      (await t.app.inject({ url: '/api/v1/test/agent-only', headers: { authorization: 'Agent 7.wrong' } }))
        .statusCode,
      401,
    );
    await t.close();
  });

  test('an unknown path is a 404 whatever the credentials', async () => {
    const t = await buildTestApp(await target.empty());
    for (const headers of [{}, bearer('nonsense-token-of-some-length')]) {
      const res = await t.app.inject({ url: '/api/v1/nope', headers });
      assert.equal(res.statusCode, 404);
    }
    await t.close();
  });

  test('LAN only: a request that arrives on another local address is refused before auth', async () => {
    for (const [allowed, status] of [
      [['192.0.2.1', '::1'], 403],
      [['192.0.2.1', '127.0.0.1'], 200],
    ] as const) {
      const t = await buildTestApp(await target.empty(), { allowedLocalAddresses: [...allowed] });
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      for (const path of ['/api/v1/health', '/api/v1/devices']) {
        const res = await fetch(`${address}${path}`);
        const body = (await res.json()) as { error?: { code: string; message: string } };
        const expected = status === 403 ? 403 : path.endsWith('health') ? 200 : 401;
        assert.equal(res.status, expected, `${allowed.join(',')} ${path}`);
        if (status === 403) {
          assert.deepEqual(body.error, {
            code: 'PP_E_FORBIDDEN',
            message: 'the admin API is only served on the LAN',
          });
        }
      }
      await t.close();
    }
  });
});
