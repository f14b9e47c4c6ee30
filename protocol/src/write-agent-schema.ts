#!/usr/bin/env node
/** `npm run schema:agent`: rewrites protocol/schema/agent-messages.json from the TypeBox schemas. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentMessagesJsonSchemaText } from './agent-schema.js';

export const AGENT_SCHEMA_FILE = fileURLToPath(new URL('../schema/agent-messages.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(dirname(AGENT_SCHEMA_FILE), { recursive: true });
  await writeFile(AGENT_SCHEMA_FILE, agentMessagesJsonSchemaText());
  console.log(`wrote ${AGENT_SCHEMA_FILE}`);
}
