/**
 * Test harness: every database test runs against PGlite and against a real PostgreSQL.
 *
 *   forEachDatabase('UsageStore', (target) => {
 *     test('round trip', async () => {
 *       const { db } = await target.open(); // fresh, migrated, empty; closed after the suite
 *       ...
 *     });
 *   });
 *
 * PostgreSQL: each location is a new database `pp_test_<random>` created through
 * PP_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and dropped after the
 * suite. If the server is unreachable the PostgreSQL suite is skipped, except under CI=true,
 * where it runs and fails: a database test may never be skipped silently in CI.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseKind, type OpenDatabaseOptions } from './open.js';

export const adminUrl = process.env.PP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface DatabaseTarget {
  readonly kind: DatabaseKind;
  /**
   * Options for openDatabase that point at a new, empty location (a temp data dir or a fresh
   * database), removed after the suite. Open it as often as you like, e.g. to test a reopen.
   */
  location(): Promise<OpenDatabaseOptions>;
  /** A fresh migrated database (in-memory PGlite or a new PostgreSQL database), closed after the suite. */
  open(): Promise<Database>;
  /** Opens `location` and closes it after the suite (unless the test closed it already). */
  openAt(location: OpenDatabaseOptions): Promise<Database>;
  /**
   * The suite's shared database with every table emptied: much cheaper than open() (a PGlite
   * start costs about a second), for tests run one after another as node:test does in a file.
   */
  empty(): Promise<Database>;
}

/** Probed once per test file (node --test runs each file in its own process). */
const postgresProblem: string | undefined = await probe(adminUrl);

async function probe(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

export function forEachDatabase(name: string, fn: (target: DatabaseTarget) => void): void {
  for (const kind of ['pglite', 'postgres'] as const) {
    const unreachable = kind === 'postgres' && postgresProblem !== undefined;
    const skip =
      unreachable && process.env.CI !== 'true' ? `PostgreSQL unreachable (${postgresProblem})` : false;
    describe(`${name} [${kind}]`, { skip }, () => {
      const target = new Target(kind);
      after(() => target.cleanup());
      fn(target);
    });
  }
}

class Target implements DatabaseTarget {
  readonly #open: Database[] = [];
  readonly #dirs: string[] = [];
  readonly #databases: string[] = [];
  #shared: Promise<Database> | undefined;

  constructor(readonly kind: DatabaseKind) {}

  async location(): Promise<OpenDatabaseOptions> {
    if (this.kind === 'pglite') {
      const dir = await mkdtemp(join(tmpdir(), 'pp-pglite-'));
      this.#dirs.push(dir);
      return { dataDir: dir };
    }
    if (postgresProblem !== undefined) {
      throw new Error(`PostgreSQL at ${redact(adminUrl)} is unreachable and CI=true: ${postgresProblem}`);
    }
    const name = `pp_test_${randomBytes(6).toString('hex')}`;
    await withAdmin((c) => c.query(`create database ${name}`));
    this.#databases.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { url: url.toString() };
  }

  async open(): Promise<Database> {
    return this.openAt(this.kind === 'pglite' ? { memory: true } : await this.location());
  }

  async openAt(location: OpenDatabaseOptions): Promise<Database> {
    const database = await openDatabase(location);
    let closed = false;
    const close = database.close;
    // Closing twice (test, then cleanup) must be harmless.
    const tracked: Database = {
      ...database,
      close: async () => {
        if (closed) return;
        closed = true;
        await close();
      },
    };
    this.#open.push(tracked);
    return tracked;
  }

  async empty(): Promise<Database> {
    this.#shared ??= this.open();
    const database = await this.#shared;
    const tables = await database.db.execute<{ name: string }>(
      sql`select quote_ident(tablename) as name from pg_tables where schemaname = 'public'`,
    );
    const list = tables.rows.map((r) => r.name).join(', ');
    await database.db.execute(sql.raw(`truncate ${list} restart identity cascade`));
    return database;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.#open.map((d) => d.close()));
    for (const dir of this.#dirs) await rm(dir, { recursive: true, force: true });
    if (this.#databases.length > 0) {
      await withAdmin(async (c) => {
        for (const name of this.#databases) await c.query(`drop database if exists ${name} with (force)`);
      });
    }
  }
}

/**
 * A fresh, empty PostgreSQL database for a test that runs the daemon itself, reached over the
 * server's Unix socket so it also works from inside a network namespace (where 127.0.0.1 is the
 * namespace's own loopback). Drop it when done.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (postgresProblem !== undefined) {
    throw new Error(`PostgreSQL at ${redact(adminUrl)} is unreachable: ${postgresProblem}`);
  }
  const name = `pp_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  url.hostname = 'localhost';
  url.port = '';
  url.searchParams.set('host', process.env.PP_TEST_PG_SOCKET_DIR ?? '/var/run/postgresql');
  return {
    url: url.toString(),
    drop: () =>
      withAdmin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
