#!/usr/bin/env node
/** `npm run openapi`: regenerates docs/openapi.json (committed; a test fails when it is stale). */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApi } from './openapi.js';

export const OPENAPI_FILE = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(OPENAPI_FILE, JSON.stringify(await generateOpenApi(), null, 2) + '\n');
  console.log(`wrote ${OPENAPI_FILE}`);
}
