import { expect, test } from 'vitest';
import { allows } from './access';

test('roles are ordered viewer < operator < admin', () => {
  expect(allows('admin', 'admin')).toBe(true);
  expect(allows('admin', 'viewer')).toBe(true);
  expect(allows('operator', 'operator')).toBe(true);
  expect(allows('operator', 'admin')).toBe(false);
  expect(allows('viewer', 'operator')).toBe(false);
  expect(allows('viewer', 'viewer')).toBe(true);
  expect(allows(null, 'viewer')).toBe(false);
  expect(allows('root', 'viewer')).toBe(false);
});
