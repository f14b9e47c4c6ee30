/**
 * A schema change without its migration fails here: drizzle-kit generates against a copy of the
 * committed migrations, and must find nothing to do.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { migrationsFolder } from './open.js';

const gatewayDir = fileURLToPath(new URL('../..', import.meta.url));
const drizzleKit = join(dirname(createRequire(import.meta.url).resolve('drizzle-kit')), 'bin.cjs');

async function listing(dir: string): Promise<Map<string, string>> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  const out = new Map<string, string>();
  for (const f of files) {
    const path = join(f.parentPath ?? f.path, f.name);
    out.set(path.slice(dir.length), await readFile(path, 'utf8'));
  }
  return out;
}

test('the committed migrations match src/db/schema.ts', { timeout: 60_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'pp-drizzle-'));
  try {
    await cp(migrationsFolder, out, { recursive: true });
    // drizzle-kit mangles an absolute --out ("./" + path) and exits 0 on errors, hence the
    // relative path and the check for its "nothing to do" line below.
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        drizzleKit,
        'generate',
        '--dialect=postgresql',
        '--schema=./src/db/schema.ts',
        `--out=${relative(gatewayDir, out)}`,
        '--name=pending',
      ],
      { cwd: gatewayDir, timeout: 50_000 },
    );
    const after = await listing(out);
    const before = await listing(migrationsFolder);
    const added = [...after.keys()].filter((k) => !before.has(k) || before.get(k) !== after.get(k));
    if (added.length === 0)
      assert.match(stdout, /No schema changes/, `drizzle-kit did not run:\n${stdout}\n${stderr}`);
    assert.deepEqual(
      added,
      [],
      `schema.ts changed without a migration: run \`cd gateway && npx drizzle-kit generate --name <what_changed>\`\n${stdout}`,
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('migration names are meaningful and the journal lists every SQL file', async () => {
  const journal = JSON.parse(await readFile(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ tag: string }>;
  };
  const sqlFiles = (await readdir(migrationsFolder)).filter((f) => f.endsWith('.sql')).sort();
  assert.deepEqual(
    journal.entries.map((e) => `${e.tag}.sql`),
    sqlFiles,
  );
  for (const tag of journal.entries.map((e) => e.tag)) {
    // drizzle-kit's random names ("0003_happy_wolverine") say nothing: always pass --name.
    assert.match(tag, /^\d{4}_[a-z0-9_]+$/);
  }
});
