import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeUrl, migrationsFolder, openDatabase } from './open.js';
import { forEachDatabase } from './testing.js';

forEachDatabase('openDatabase', (target) => {
  test('applies every migration and reopens without migrating twice', async () => {
    const location = await target.location();
    const first = await target.openAt(location);
    assert.equal(first.kind, target.kind);
    if (location.dataDir)
      assert.ok(existsSync(join(location.dataDir, 'pglite')), 'PGlite under <dataDir>/pglite');
    const tables = await first.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    assert.deepEqual(
      tables.rows.map((r) => r.table_name),
      [
        'agent_enrollments',
        'agents',
        'api_tokens',
        'app_usage_periods',
        'audit_log',
        'counter_baselines',
        'device_addresses',
        'devices',
        'dns_queries',
        'flow_baselines',
        'flow_usage_hour',
        'rules',
        'sessions',
        'settings',
        'usage_day',
        'usage_hour',
        'usage_minute',
        'users',
      ],
    );
    await first.close();
    const second = await target.openAt(location);
    const applied = await second.db.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
      entries: unknown[];
    };
    assert.equal(applied.rows[0]?.n, journal.entries.length);
    await second.close();
  });
});

test("a first start creates the embedded cluster in a child process, so initdb's memory leaves with it", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-initdb-'));
  try {
    const before = process.memoryUsage().rss;
    const database = await openDatabase({ dataDir });
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    assert.ok(existsSync(join(dataDir, 'pglite', 'PG_VERSION')), 'the cluster exists');
    await database.db.execute(sql`select 1`);
    await database.close();
    // initdb in this process would add ~550 MB of WebAssembly memory that is never given back;
    // opening the finished cluster adds about 100
    assert.ok(grown < 300, `the process grew ${grown.toFixed(0)} MB while opening a new data dir`);
    // and the second start opens it directly
    const again = await openDatabase({ dataDir });
    await again.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a bad database URL is rejected with a clear message', async () => {
  for (const [url, expected] of [
    ['not a url', /^invalid --database-url: not a URL/],
    ['mysql://root@localhost/db', /^invalid --database-url: scheme must be postgres/],
    ['postgres://user@localhost:5432/', /^invalid --database-url: no database name/],
  ] as const) {
    await assert.rejects(openDatabase({ url }), { message: expected }, url);
  }
  assert.equal(describeUrl('postgresql://u:secret@db.lan:6543/pp'), 'db.lan:6543/pp');
});

test('a connection failure names the server but never the password', async () => {
  const err = await openDatabase({ url: 'postgres://u:hunter2@127.0.0.1:1/pp' }).then(
    () => assert.fail('connected to a closed port'),
    (e: Error) => e,
  );
  assert.match(err.message, /^connect to PostgreSQL at 127\.0\.0\.1:1\/pp: .*ECONNREFUSED/);
  assert.doesNotMatch(err.message, /hunter2/);
});
