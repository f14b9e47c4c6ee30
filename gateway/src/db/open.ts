import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from '../log.js';
import { PGLITE_CONF } from './pglite-conf.js';
import { trimmedPgliteImage, type TrimmedImage } from './pglite-image.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/**
 * The one type feature code queries through. Both drivers' databases extend this base class, so
 * a store written against `Db` runs unchanged on PGlite and PostgreSQL.
 */
export type Db = PgDatabase<DbQueryResultHKT, Schema>;

/** What both drivers' raw results have in common, so `db.execute()` is typed too. */
export interface DbQueryResultHKT extends PgQueryResultHKT {
  type: QueryRows<this['row']>;
}
export interface QueryRows<R> {
  rows: R[];
}
export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  kind: DatabaseKind;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PGlite lives in `<dataDir>/pglite` when no url is given. */
  dataDir?: string;
  /** postgres:// or postgresql:// URL (the caller passes --database-url or DATABASE_URL). */
  url?: string;
  /** Tests only: a PGlite that lives in memory and is gone on close. */
  memory?: boolean;
  log?: Logger;
}

// src/db/open.ts and dist/db/open.js are both two levels below gateway/, where drizzle/ sits.
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url !== undefined) return openPostgres(options.url, options.log);
  if (options.memory) return openPglite(undefined, options.log);
  if (options.dataDir === undefined) throw new Error('open database: need a data dir or a database URL');
  return openPglite(join(options.dataDir, 'pglite'), options.log);
}

const INIT_SCRIPT = fileURLToPath(new URL('./init-pglite.js', import.meta.url));

/**
 * A first start creates the cluster in a child process (init-pglite.ts says why); an existing
 * one (PG_VERSION present, as PGlite itself checks) is opened directly.
 */
async function ensureCluster(dir: string, log?: Logger): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  log?.info({ dataDir: dir }, 'creating the embedded database (first start)');
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [INIT_SCRIPT, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim() || 'no message'}`);
}

// Each driver is loaded only when it is used: the other one's modules would stay in the heap for
// nothing (pg with drizzle's node-postgres driver is ~2 MB).
async function openPglite(dir: string | undefined, log?: Logger): Promise<Database> {
  const where = dir ?? 'memory';
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  let client: PGlite;
  try {
    let image: TrimmedImage | undefined;
    if (dir !== undefined) {
      await mkdir(dir, { recursive: true });
      await ensureCluster(dir, log);
      // only for a cluster that exists: initdb reads the files the trimmed image leaves out
      image = await trimmedPgliteImage();
      if (image)
        log?.debug({ keptBytes: image.keptBytes, skippedBytes: image.skippedBytes }, 'PGlite image trimmed');
      else log?.warn('PGlite image: file table not found, loading the whole image (6 MB more memory)');
    }
    client = await PGlite.create({
      ...(dir === undefined ? {} : { dataDir: dir }),
      // PGlite only calls arrayBuffer() on it (pglite-image.ts)
      ...(image ? { fsBundle: image as unknown as Blob } : {}),
      postgresqlconf: PGLITE_CONF,
    });
  } catch (err) {
    throw new Error(`open embedded database (PGlite) at ${where}: ${errorText(err)}`, { cause: err });
  }
  // PGlite is one connection; its own mutex runs each query and each whole transaction exclusively,
  // so concurrent transactions queue up instead of interleaving.
  const db = drizzlePglite({ client, schema });
  try {
    await migratePglite(db, { migrationsFolder });
  } catch (err) {
    await client.close().catch(() => {});
    throw new Error(`migrate embedded database at ${where}: ${errorText(err)}`, { cause: err });
  }
  log?.info({ dataDir: dir ?? null }, 'embedded database (PGlite) ready');
  return { db, kind: 'pglite', close: () => client.close() };
}

async function openPostgres(url: string, log?: Logger): Promise<Database> {
  const target = describeUrl(url);
  const [{ default: pg }, { drizzle: drizzlePg }, { migrate: migratePg }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client dying (server restart) must not crash the daemon; the pool reconnects.
  pool.on('error', (err) => log?.warn({ err: errorText(err) }, 'PostgreSQL idle connection error'));
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`connect to PostgreSQL at ${target}: ${errorText(err)}`, { cause: err });
  }
  const db = drizzlePg({ client: pool, schema });
  try {
    await migratePg(db, { migrationsFolder });
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`migrate PostgreSQL at ${target}: ${errorText(err)}`, { cause: err });
  }
  log?.info({ database: target }, 'PostgreSQL ready');
  return { db, kind: 'postgres', close: () => pool.end() };
}

/** Validates the URL and returns `host:port/db` for messages: never the password. */
export function describeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid --database-url: not a URL (expected postgres://user@host:5432/db)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(
      `invalid --database-url: scheme must be postgres:// or postgresql://, got ${parsed.protocol}//`,
    );
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new Error('invalid --database-url: no host (expected postgres://user@host:5432/db)');
  }
  const db = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (db === '') throw new Error('invalid --database-url: no database name after the host');
  return `${parsed.hostname || parsed.searchParams.get('host')}:${parsed.port || '5432'}/${db}`;
}

function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(errorText).join('; ');
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
