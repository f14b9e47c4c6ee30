import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword, checkPasswordPolicy, generatePassword } from './passwords.js';

test('a hashed password verifies and a wrong one does not', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.match(hash, /^scrypt\$16384\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
  assert.equal(await verifyPassword('correct horse batterY', hash), false);
});

test('two hashes of one password differ (salted) and malformed hashes never verify', async () => {
  const a = await hashPassword('same password!');
  const b = await hashPassword('same password!');
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('x', 'plain-text'), false);
  assert.equal(await verifyPassword('x', 'scrypt$1$1$1$$'), false);
});

test('generated passwords pass the policy; short ones do not', () => {
  assert.equal(checkPasswordPolicy(generatePassword()), null);
  assert.match(checkPasswordPolicy('short') ?? '', /at least 10/);
});
