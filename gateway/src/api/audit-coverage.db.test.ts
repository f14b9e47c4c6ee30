/**
 * Every mutating operation in the OpenAPI document, called once the way a user would, leaves
 * exactly one audit row naming the actor, with before/after as the change implies. The list of
 * calls below must cover the document: a new mutating route fails here until it is added.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '@packetpilot/protocol';
import { forEachDatabase } from '../db/testing.js';
import { buildTestApp, type TestApp } from './testing.js';

interface Step {
  /** "METHOD /api/v1/path/{id}" as in the document. */
  op: string;
  /** Makes the request; returns the actor name the row must carry. */
  run(t: TestApp, ctx: Ctx): Promise<{ status: number; actor: string }>;
  /** Which of before/after must be present ('create' → after, 'delete' → before, 'change' → both). */
  kind: 'create' | 'delete' | 'change' | 'event';
}

interface Ctx {
  admin: { username: string; bearer: Record<string, string> };
  ids: Record<string, number>;
  code?: string;
}

async function call(
  t: TestApp,
  method: string,
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload !== undefined && { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} };
}

const PASSWORD = 'a long enough password';

const STEPS: Step[] = [
  {
    op: 'POST /api/v1/auth/setup',
    kind: 'create',
    async run(t) {
      const token = await t.auth.prepareSetup();
      assert.ok(token, 'a setup token while no user exists');
      const r = await call(
        t,
        'POST',
        '/api/v1/auth/setup',
        {},
        { token, username: 'first', password: PASSWORD },
      );
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/auth/login',
    kind: 'event',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/auth/login', {}, { username: 'first', password: PASSWORD });
      ctx.admin = { username: 'first', bearer: { authorization: `Bearer ${String(r.body.token)}` } };
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/users',
    kind: 'create',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/users', ctx.admin.bearer, {
        username: 'kid',
        password: PASSWORD,
        role: 'viewer',
      });
      ctx.ids.user = r.body.id as number;
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'PATCH /api/v1/users/{id}',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'PATCH', `/api/v1/users/${ctx.ids.user}`, ctx.admin.bearer, {
        role: 'operator',
      });
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/auth/password',
    kind: 'event',
    async run(t) {
      const login = await call(t, 'POST', '/api/v1/auth/login', {}, { username: 'kid', password: PASSWORD });
      await t.audit.settled();
      ROWS_TO_SKIP.count += 1; // that login's own row
      const headers = { authorization: `Bearer ${String(login.body.token)}` };
      const r = await call(t, 'POST', '/api/v1/auth/password', headers, {
        current: PASSWORD,
        new: `${PASSWORD} 2`,
      });
      return { status: r.status, actor: 'kid' };
    },
  },
  {
    op: 'POST /api/v1/tokens',
    kind: 'create',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/tokens', ctx.admin.bearer, { name: 'script', role: 'viewer' });
      ctx.ids.token = r.body.id as number;
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'DELETE /api/v1/tokens/{id}',
    kind: 'delete',
    async run(t, ctx) {
      const r = await call(t, 'DELETE', `/api/v1/tokens/${ctx.ids.token}`, ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'PATCH /api/v1/devices/{id}',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'PATCH', `/api/v1/devices/${t.deviceId}`, ctx.admin.bearer, {
        name: 'Kid tablet',
      });
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/rules',
    kind: 'create',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/rules', ctx.admin.bearer, {
        action: 'block',
        target: { type: 'service', id: 'youtube' },
        scope: { type: 'device', id: t.deviceId },
      });
      ctx.ids.rule = r.body.id as number;
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'PATCH /api/v1/rules/{id}',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'PATCH', `/api/v1/rules/${ctx.ids.rule}`, ctx.admin.bearer, { enabled: false });
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'DELETE /api/v1/rules/{id}',
    kind: 'delete',
    async run(t, ctx) {
      const r = await call(t, 'DELETE', `/api/v1/rules/${ctx.ids.rule}`, ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'PATCH /api/v1/settings/dns',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'PATCH', '/api/v1/settings/dns', ctx.admin.bearer, { blockTtl: 30 });
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/agents/enrollments',
    kind: 'create',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/agents/enrollments', ctx.admin.bearer, { maxUses: 2 });
      ctx.ids.enrollment = r.body.id as number;
      ctx.code = r.body.code as string;
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/agents/enroll',
    kind: 'create',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/agents/enroll', {}, { code: ctx.code, platform: 'linux' });
      ctx.ids.agent = r.body.agentId as number;
      return { status: r.status, actor: 'anonymous' };
    },
  },
  {
    op: 'DELETE /api/v1/agents/{id}',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'DELETE', `/api/v1/agents/${ctx.ids.agent}`, ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'DELETE /api/v1/agents/enrollments/{id}',
    kind: 'change',
    async run(t, ctx) {
      const r = await call(t, 'DELETE', `/api/v1/agents/enrollments/${ctx.ids.enrollment}`, ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'DELETE /api/v1/users/{id}',
    kind: 'delete',
    async run(t, ctx) {
      const r = await call(t, 'DELETE', `/api/v1/users/${ctx.ids.user}`, ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
  {
    op: 'POST /api/v1/auth/logout',
    kind: 'event',
    async run(t, ctx) {
      const r = await call(t, 'POST', '/api/v1/auth/logout', ctx.admin.bearer);
      return { status: r.status, actor: 'first' };
    },
  },
];

/** Rows a step makes on purpose besides the one it checks (a login to get a session). */
const ROWS_TO_SKIP = { count: 0 };

function mutatingOperations(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

forEachDatabase('audit coverage', (target) => {
  test('each mutating route leaves exactly one audit row with its actor and before/after', async () => {
    const t = await buildTestApp(await target.empty());
    await t.app.ready();
    assert.deepEqual(
      STEPS.map((s) => s.op).sort(),
      mutatingOperations(t.app.swagger() as never),
      'the steps must cover every mutating operation of the document',
    );
    const ctx = { ids: {} } as Ctx;
    let seen = 0;
    for (const step of STEPS) {
      ROWS_TO_SKIP.count = 0;
      const { status, actor } = await step.run(t, ctx);
      assert.ok(status >= 200 && status < 300, `${step.op}: ${status}`);
      await t.audit.settled();
      const rows: AuditEntry[] = (await t.audit.query({ limit: 1000 })).reverse();
      const fresh = rows.slice(seen + ROWS_TO_SKIP.count);
      seen = rows.length;
      assert.equal(fresh.length, 1, `${step.op}: ${fresh.length} audit rows: ${JSON.stringify(fresh)}`);
      const row = fresh[0]!;
      assert.equal(row.actor.name, actor, `${step.op}: actor`);
      if (step.kind === 'create') assert.ok(row.after, `${step.op}: after`);
      if (step.kind === 'delete') assert.ok(row.before, `${step.op}: before`);
      if (step.kind === 'change') assert.ok(row.before && row.after, `${step.op}: before and after`);
      assert.doesNotMatch(
        JSON.stringify({ before: row.before, after: row.after }),
        /"(password|passwordHash|secret|secretHash|token|tokenHash|code|codeHash)":/i,
        `${step.op}: no secrets in before/after`,
      );
    }
    await t.close();
  });
});
