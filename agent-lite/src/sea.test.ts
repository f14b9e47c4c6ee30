/**
 * The single-file builds start: the Linux one here, the Windows one under Wine. `npm test` builds
 * both first (scripts/test.sh); outside CI a missing build or a missing Wine is a skip, under
 * CI=true a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_VERSION } from './version.js';

const SEA = fileURLToPath(new URL('./sea/', import.meta.url));
const LINUX = join(SEA, 'packetpilot-agent-linux-x64');
const WINDOWS = join(SEA, 'packetpilot-agent-win-x64.exe');
const WINE = '/usr/lib/wine/wine64';

function missing(...files: string[]): string | false {
  const absent = files.filter((f) => !existsSync(f));
  if (absent.length === 0) return false;
  const why = `not built or not installed: ${absent.join(', ')} (npm run build:sea -w agent-lite; apt-get install wine64)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
  return why;
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

test(
  'the linux-x64 single-file agent starts: --version, and a usage error for a bad gateway URL',
  { skip: missing(LINUX) },
  async () => {
    const version = await run(LINUX, ['--version']);
    assert.deepEqual(version, { code: 0, out: `${AGENT_VERSION}\n` });
    const bad = await run(LINUX, ['--gateway', 'not a url']);
    assert.equal(bad.code, 2, bad.out);
  },
);

test(
  'the win-x64 single-file agent starts under Wine and prints its version',
  { skip: missing(WINDOWS, WINE) },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pp-wine-'));
    try {
      // Node under Wine cannot use a pipe as stdout (EBADF): give it a file.
      const outFile = join(dir, 'out.txt');
      const errFile = join(dir, 'err.txt');
      const out = await open(outFile, 'w');
      const err = await open(errFile, 'w');
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(WINE, [WINDOWS, '--version'], {
          stdio: ['ignore', out.fd, err.fd],
          env: {
            ...process.env,
            WINEPREFIX: join(dir, 'prefix'),
            WINEDEBUG: '-all',
            // a fresh Wine prefix says Windows 7; Node's own check wants 10
            NODE_SKIP_PLATFORM_CHECK: '1',
          },
          timeout: 120_000,
        });
        child.on('error', reject);
        child.on('exit', (c) => resolve(c ?? 1));
      });
      await out.close();
      await err.close();
      assert.equal(code, 0, await readFile(errFile, 'utf8'));
      assert.equal((await readFile(outFile, 'utf8')).trim(), AGENT_VERSION);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
