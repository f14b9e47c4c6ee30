import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { runCli } from '../testing/gateway-process.js';

test('`packetpilot agent` is agent-lite: its version, and its usage error for a bad gateway URL', async () => {
  const version = await runCli(['agent', '--version']);
  assert.equal(version.code, 0, version.stderr);
  const agentPackage = new URL('../../../agent-lite/package.json', import.meta.url);
  const { version: expected } = JSON.parse(await readFile(agentPackage, 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), expected);

  const dir = await mkdtemp(join(tmpdir(), 'pp-agent-cli-'));
  try {
    const bad = await runCli(['agent', '--gateway', 'not a url', '--state-dir', dir]);
    assert.equal(bad.code, 2, `usage error exit code; stderr: ${bad.stderr}`);
    assert.match(bad.stderr, /gateway/i);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
