/**
 * The role matrix, generated from the OpenAPI document: every operation × every kind of caller.
 * A route gets here by existing (a route without an access level cannot even start), so a new
 * route is checked the moment it is added. "Passes" means the access check let the request
 * through (the route may still answer 400/404: ids here do not exist and bodies are empty, so
 * nothing is changed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase } from '../db/testing.js';
import { buildTestApp, type TestApp } from './testing.js';
import type { Access } from './access.js';

type Caller = 'anonymous' | 'viewer' | 'operator' | 'admin' | 'revokedToken' | 'expiredToken' | 'agent';
const CALLERS: Caller[] = [
  'anonymous',
  'viewer',
  'operator',
  'admin',
  'revokedToken',
  'expiredToken',
  'agent',
];
type Outcome = 401 | 403 | 'pass';

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

/** What each caller must get at each level. */
export function expected(access: Access, caller: Caller): Outcome {
  if (access === 'public') return 'pass';
  if (caller === 'anonymous' || caller === 'revokedToken' || caller === 'expiredToken') return 401;
  if (access === 'agent') return caller === 'agent' ? 'pass' : 403;
  if (caller === 'agent') return 403;
  return RANK[caller] >= RANK[access] ? 'pass' : 403;
}

interface Operation {
  method: string;
  path: string;
  access: Access | undefined;
}

function operations(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.push({ method: method.toUpperCase(), path, access: op['x-pp-access'] as Access | undefined });
    }
  }
  return out;
}

async function headersFor(
  t: TestApp,
  caller: Caller,
  users: Record<'viewer' | 'operator' | 'admin', Parameters<TestApp['login']>[0]>,
) {
  switch (caller) {
    case 'anonymous':
      return {};
    case 'viewer':
    case 'operator':
    case 'admin':
      // a fresh session per request: a logout or password change must not spoil the next row
      return (await t.login(users[caller])).bearer;
    case 'revokedToken':
      return { authorization: `Bearer ${await t.apiToken(users.admin, { state: 'revoked' })}` };
    case 'expiredToken':
      return { authorization: `Bearer ${await t.apiToken(users.admin, { state: 'expired' })}` };
    case 'agent':
      return { authorization: t.agentCredential() };
  }
}

forEachDatabase('role matrix', (target) => {
  test('every operation in the OpenAPI document × every caller gets the status its level says', async () => {
    const t = await buildTestApp(await target.empty());
    await t.app.ready();
    const ops = operations(t.app.swagger() as never);
    assert.ok(ops.length >= 30, `only ${ops.length} operations in the document`);
    const unclassified = ops.filter((o) => !o.access);
    assert.deepEqual(unclassified, [], 'operations without x-pp-access');

    const users = {
      viewer: await t.createUser('viewer'),
      operator: await t.createUser('operator'),
      admin: await t.createUser('admin'),
    };
    const failures: string[] = [];
    let cells = 0;
    for (const op of ops) {
      const url = op.path.replace(/\{[^}]+\}/g, '999999');
      const body = ['POST', 'PATCH', 'PUT'].includes(op.method) ? {} : undefined;
      for (const caller of CALLERS) {
        const res = await t.app.inject({
          method: op.method as 'GET',
          url,
          headers: await headersFor(t, caller, users),
          ...(body && { payload: body }),
        });
        const want = expected(op.access!, caller);
        const got = res.statusCode === 401 || res.statusCode === 403 ? res.statusCode : 'pass';
        cells += 1;
        if (got !== want)
          failures.push(
            `${op.method} ${op.path} [${op.access}] as ${caller}: ${res.statusCode}, want ${want}`,
          );
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cells} cells wrong`);
    await t.close();
  });
});

test('the expectation table itself: levels nest, bad credentials are 401, agents only at agent', () => {
  assert.equal(expected('viewer', 'operator'), 'pass');
  assert.equal(expected('operator', 'viewer'), 403);
  assert.equal(expected('admin', 'operator'), 403);
  assert.equal(expected('admin', 'expiredToken'), 401);
  assert.equal(expected('agent', 'admin'), 403);
  assert.equal(expected('agent', 'agent'), 'pass');
  assert.equal(expected('viewer', 'agent'), 403);
  assert.equal(expected('public', 'revokedToken'), 'pass');
});
