import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/**
 * Tests run from `dist/`, fixtures live beside the sources in `src/<feature>/testdata/`.
 * Pass the test's own `import.meta.url`.
 */
export function testdataPath(testUrl: string, name: string): string {
  const dir = dirname(fileURLToPath(testUrl)).replace(/([/\\])dist([/\\])/, '$1src$2');
  return join(dir, 'testdata', name);
}

export function readTestdata(testUrl: string, name: string): string {
  return readFileSync(testdataPath(testUrl, name), 'utf8');
}

/** CI=true means every privileged test must run: a skip there is a failure. */
export function requireRootOrSkip(): string | false {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) return false;
  if (process.env.CI === 'true') throw new Error('CI=true: lab tests need root and may not be skipped');
  return 'needs root (network namespaces, nftables, conntrack)';
}
