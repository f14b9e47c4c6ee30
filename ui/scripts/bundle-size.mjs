// Gzip sizes of the built UI from dist/.vite/manifest.json: the initial JS (what index.html loads
// before anything renders) and, per page, what opening it first downloads in all (initial + the
// page's lazy chunks). Fails when the initial JS is over the budget (issue 6: 250 kB gzip).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const BUDGET_KB = 250;
const dist = new URL('../dist/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
const gz = new Map();
const size = (file) => {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(join(dist, file)), { level: 9 }).length);
  return gz.get(file);
};

/** The chunk's file and every chunk it imports statically, transitively. */
function closure(key, seen = new Set()) {
  const chunk = manifest[key];
  if (!chunk || seen.has(chunk.file)) return seen;
  seen.add(chunk.file);
  for (const dep of chunk.imports ?? []) closure(dep, seen);
  return seen;
}
const kb = (files) => [...files].filter((f) => f.endsWith('.js')).reduce((s, f) => s + size(f), 0) / 1024;

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const initial = closure(entryKey);
const initialKb = kb(initial);
console.log(`initial JS (index.html): ${initialKb.toFixed(1)} kB gzip`);
const pages = Object.keys(manifest).filter(
  (k) => manifest[k].isDynamicEntry && /features\/.*Page\.vue$/.test(k),
);
for (const page of pages.sort()) {
  const files = closure(page, new Set(initial));
  console.log(`  ${page.replace(/^src\/features\//, '').padEnd(34)} ${kb(files).toFixed(1)} kB gzip in all`);
}
if (initialKb > BUDGET_KB) {
  console.error(`initial JS over the ${BUDGET_KB} kB budget`);
  process.exit(1);
}
