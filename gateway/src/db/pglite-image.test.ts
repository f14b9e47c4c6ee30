import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openDatabase } from './open.js';
import {
  neededByRunningCluster,
  parseImageTable,
  pgliteDistDir,
  trimmedPgliteImage,
} from './pglite-image.js';

const LOADER =
  'x({files:[{filename:"/a",start:0,end:10},{filename:"/pglite/share/postgresql/postgres.bki",start:10,end:30}],remote_package_size:30})';

test('the file table is read from the loader, and refused when it does not describe the image', () => {
  assert.deepEqual(parseImageTable(LOADER, 30), [
    { path: '/a', start: 0, end: 10 },
    { path: '/pglite/share/postgresql/postgres.bki', start: 10, end: 30 },
  ]);
  assert.equal(parseImageTable(LOADER, 31), undefined, 'another image size');
  assert.equal(parseImageTable(LOADER.replace('start:10', 'start:5'), 30), undefined, 'overlap');
  assert.equal(parseImageTable('remote_package_size:30', 30), undefined, 'no entries');
});

test('a running cluster keeps time zones, plpgsql and its config, not initdb or converters', () => {
  for (const kept of [
    '/pglite/share/postgresql/timezone/Europe/Berlin',
    '/pglite/share/postgresql/timezonesets/Default',
    '/pglite/share/postgresql/extension/plpgsql.control',
    '/pglite/lib/postgresql/plpgsql.so',
    '/home/postgres/.pgpass',
  ])
    assert.ok(neededByRunningCluster(kept), kept);
  for (const skipped of [
    '/pglite/share/postgresql/postgres.bki',
    '/pglite/share/postgresql/information_schema.sql',
    '/pglite/share/postgresql/postgresql.conf.sample',
    '/pglite/lib/postgresql/utf8_and_euc_jp.so',
    '/pglite/lib/postgresql/pgxs/src/Makefile.global',
    '/pglite/icu/icudt76l/coll/ucadata.icu',
  ])
    assert.ok(!neededByRunningCluster(skipped), skipped);
});

test("PGlite's installed image is trimmed: kept files hold their bytes, skipped ones are zeros", async () => {
  const image = await trimmedPgliteImage();
  assert.ok(image, 'the file table of the installed PGlite was found');
  assert.ok(image.skippedBytes > 4_000_000, `skipped ${image.skippedBytes} bytes`);
  assert.ok(image.keptBytes < 1_500_000, `kept ${image.keptBytes} bytes`);
  const dist = pgliteDistDir();
  const whole = await readFile(join(dist, 'pglite.data'));
  const trimmed = new Uint8Array(await image.arrayBuffer());
  assert.equal(trimmed.length, whole.length);
  const loader = await readFile(join(dist, 'pglite.js'), 'utf8');
  const table = parseImageTable(loader, whole.length)!;
  const file = (path: string) => table.find((f) => f.path === path)!;
  const utc = file('/pglite/share/postgresql/timezone/UTC');
  assert.deepEqual(trimmed.subarray(utc.start, utc.end), new Uint8Array(whole.subarray(utc.start, utc.end)));
  const bki = file('/pglite/share/postgresql/postgres.bki');
  assert.ok(
    trimmed.subarray(bki.start, bki.end).every((b) => b === 0),
    'postgres.bki left out',
  );
});

test('a cluster opened with the trimmed image works; a left-out library is an error, not a crash', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-image-'));
  const database = await openDatabase({ dataDir });
  try {
    const one = async <T extends Record<string, unknown>>(query: string) =>
      (await database.db.execute<T>(sql.raw(query))).rows[0];
    await database.db.execute(sql.raw(`set time zone 'Australia/Lord_Howe'`));
    assert.deepEqual(await one(`select to_char(timestamptz '2024-07-01 12:00Z', 'HH24:MI') as t`), {
      t: '22:30',
    });
    await database.db.execute(sql.raw(`do $$ begin perform 1; end $$`));
    await assert.rejects(database.db.execute(sql.raw(`select convert('abc'::bytea, 'UTF8', 'EUC_JP')`)));
    assert.deepEqual(await one(`select count(*)::int as n from users`), { n: 0 });
  } finally {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
