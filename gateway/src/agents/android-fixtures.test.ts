/**
 * The shared agent fixtures (protocol/fixtures/agent, also checked by the Android app's Java tests
 * against protocol/schema/agent-messages.json) through the gateway's own frame parser: what the
 * app sends is accepted, what the fixtures call invalid is refused with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseAgentMessage } from './messages.js';

const FIXTURES = fileURLToPath(new URL('../../../protocol/fixtures/agent/', import.meta.url));
const AGENT_TO_GATEWAY = new Set([
  'AgentHello',
  'AgentHeartbeat',
  'AgentFlows',
  'AgentAppUsage',
  'AgentMessage',
]);

test('the gateway parses the agent fixtures as the fixtures say', async () => {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).sort();
  let checked = 0;
  for (const file of files) {
    const fixture = JSON.parse(await readFile(FIXTURES + file, 'utf8')) as {
      schema: string;
      valid: boolean;
      message: unknown;
    };
    if (!AGENT_TO_GATEWAY.has(fixture.schema)) continue;
    const parsed = parseAgentMessage(JSON.stringify(fixture.message));
    assert.equal(parsed.ok, fixture.valid, `${file}: ${parsed.ok ? 'accepted' : parsed.reason}`);
    if (!parsed.ok) assert.ok(parsed.reason.length > 0);
    checked++;
  }
  assert.ok(checked >= 8, `${checked} agent→gateway fixtures`);
});
