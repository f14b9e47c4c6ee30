import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** agent-lite/testdata/<name>, from src/ or dist/ alike. */
export function testdataPath(name: string): string {
  return fileURLToPath(new URL(`../../testdata/${name}`, import.meta.url));
}

export function readTestdata(name: string): string {
  return readFileSync(testdataPath(name), 'utf8');
}
