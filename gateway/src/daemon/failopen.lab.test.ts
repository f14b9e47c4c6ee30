/**
 * Fail-open: a gateway that cannot open its database still leaves the LAN routed and NATed,
 * and says clearly why it stopped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { gatewayArgv } from '../testing/gateway-process.js';
import { LAB, labClient, labDown, labUp, execIn } from '../lab/index.js';
import { systemRunner } from '../os/runner.js';

const skip = requireRootOrSkip();

before(async () => {
  if (skip) return;
  await labDown();
  await labUp();
});

after(async () => {
  if (!skip) await labDown();
});

test(
  'an unreachable database stops the daemon with a clear error, and the LAN keeps its internet and DNS',
  { skip },
  async () => {
    const [node, ...argv] = gatewayArgv([
      '--database-url',
      'postgres://postgres@localhost/nowhere?host=/nonexistent-socket-dir',
    ]);
    const r = await systemRunner.run(node!, argv, { netns: LAB.ns.gw, timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /postgres|database/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');

    // the table was applied before the database was tried
    await execIn(LAB.ns.gw, 'nft', ['list', 'table', 'inet', 'packetpilot']);
    const c = labClient(1);
    const body = await execIn(c.ns, 'curl', [
      '-s',
      '--max-time',
      '5',
      `http://${LAB.wan.server4}/bytes/1234`,
    ]);
    assert.equal(body.length, 1234);
    // and its DNS: the redirect sends queries for the gateway to the upstream resolver instead
    const answer = await execIn(c.ns, 'dig', [
      '+short',
      '+time=1',
      '+tries=2',
      `@${LAB.lan.gateway4}`,
      'files.lab.test',
    ]);
    assert.equal(answer.trim(), LAB.wan.server4);
  },
);
