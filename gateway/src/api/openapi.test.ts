import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { generateOpenApi } from './openapi.js';
import { OPENAPI_FILE } from './write-openapi.js';

test('docs/openapi.json is in step with the routes (run `npm run openapi` after changing a route)', async () => {
  const committed = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'));
  assert.deepEqual(JSON.parse(JSON.stringify(await generateOpenApi())), committed);
});

test('every route has a tag, a summary and a 2xx response schema', async () => {
  const doc = (await generateOpenApi()) as {
    paths: Record<
      string,
      Record<string, { tags?: string[]; summary?: string; responses?: Record<string, unknown> }>
    >;
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      assert.ok(op.tags?.length, `${method} ${path}: no tag`);
      assert.ok(op.summary, `${method} ${path}: no summary`);
      if (path.endsWith('/live')) continue; // a WebSocket upgrade has no JSON reply
      assert.ok(
        Object.keys(op.responses ?? {}).some((s) => s.startsWith('2')),
        `${method} ${path}: no 2xx response schema`,
      );
    }
  }
});
