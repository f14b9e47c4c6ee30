import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeqAllocator } from './seq.js';

test('numbers keep increasing across restarts, even after a crash mid-block', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ppal-seq-'));
  try {
    const file = join(dir, 'seq');
    const a = SeqAllocator.open(file, { block: 10 });
    assert.deepEqual([a.next(), a.next(), a.next()], [0, 1, 2]);
    assert.equal((await readFile(file, 'utf8')).trim(), '10');
    const b = SeqAllocator.open(file, { block: 10 }); // "crash": a never said how far it got
    assert.equal(b.next(), 10);
    for (let i = 0; i < 10; i++) b.next();
    assert.equal((await readFile(file, 'utf8')).trim(), '30');
    const c = SeqAllocator.open(file, { atLeast: 500 });
    assert.equal(c.next(), 500, 'ahead of reports still buffered');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
