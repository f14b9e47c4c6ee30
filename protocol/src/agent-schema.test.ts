import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Compile } from 'typebox/compile';
import { AGENT_SCHEMAS, agentMessagesJsonSchemaText, type AgentSchemaName } from './agent-schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../schema/agent-messages.json', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/agent/', import.meta.url));

interface Fixture {
  schema: AgentSchemaName;
  valid: boolean;
  note?: string;
  message: unknown;
}

test('protocol/schema/agent-messages.json is in step with agents.ts (run `npm run schema:agent`)', async () => {
  assert.equal(await readFile(SCHEMA_FILE, 'utf8'), agentMessagesJsonSchemaText());
});

test('the shared agent fixtures (also checked by the Android app’s tests) validate as they say', async () => {
  const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 10, `fixtures in ${FIXTURES}`);
  const seen = new Set<string>();
  for (const file of files) {
    const fixture = JSON.parse(await readFile(FIXTURES + file, 'utf8')) as Fixture;
    const schema = AGENT_SCHEMAS[fixture.schema];
    assert.ok(schema, `${file}: unknown schema ${fixture.schema}`);
    assert.equal(Compile(schema).Check(fixture.message), fixture.valid, `${file} valid=${fixture.valid}`);
    seen.add(`${fixture.schema}:${fixture.valid}`);
  }
  // every message the Android app sends or accepts has at least one valid fixture
  for (const name of ['AgentHello', 'AgentHeartbeat', 'AgentAppUsage', 'GatewayWelcome', 'GatewayAck']) {
    assert.ok(seen.has(`${name}:true`), `a valid ${name} fixture`);
  }
  for (const name of ['GatewayPolicy', 'GatewayError', 'EnrollBody', 'EnrollReply']) {
    assert.ok(seen.has(`${name}:true`), `a valid ${name} fixture`);
  }
});
