import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENROLLMENT_CODE_ALPHABET } from '@packetpilot/protocol';
import {
  AGENT_SECRET_RE,
  hashCode,
  newAgentSecret,
  newEnrollmentCode,
  normaliseCode,
  secretMatches,
  sha256Hex,
} from './codes.js';

test('codes are XXXXX-XXXXX from the unambiguous alphabet', () => {
  assert.doesNotMatch(ENROLLMENT_CODE_ALPHABET, /[01OI]/);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const code = newEnrollmentCode();
    assert.match(code, /^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$/);
    seen.add(code);
  }
  assert.equal(seen.size, 200);
  // Every symbol reachable: byte b picks alphabet[b & 31].
  const all = newEnrollmentCode(() => Buffer.from([0, 1, 2, 3, 4, 27, 28, 29, 30, 31 + 224]));
  assert.equal(all, '23456-VWXYZ');
});

test('typed codes are normalised: case, spaces and dashes do not matter', () => {
  assert.equal(normaliseCode('abcde-fghjk'), 'ABCDEFGHJK');
  assert.equal(normaliseCode(' ABC DE FGH-JK '), 'ABCDEFGHJK');
  assert.equal(hashCode('abcde fghjk'), sha256Hex('ABCDEFGHJK'));
  assert.equal(hashCode('ABCDE-FGHJK'), hashCode('abcdefghjk'));
});

test('strings that cannot be codes are refused before any lookup', () => {
  for (const bad of [
    '',
    'ABCDE',
    'ABCDE-FGHJKL',
    'ABCDE-FGH1K',
    'ABCDE-FGHOK',
    'ABCDE_FGHJK',
    'ÄBCDE-FGHJK',
  ]) {
    assert.equal(normaliseCode(bad), null, bad);
    assert.equal(hashCode(bad), null, bad);
  }
});

test('secrets are 32 random bytes base64url and compare against their sha256 only', () => {
  const secret = newAgentSecret();
  assert.match(secret, AGENT_SECRET_RE);
  assert.equal(Buffer.from(secret, 'base64url').length, 32);
  assert.notEqual(newAgentSecret(), secret);
  const stored = sha256Hex(secret);
  assert.equal(secretMatches(secret, stored), true);
  assert.equal(secretMatches(newAgentSecret(), stored), false);
  assert.equal(secretMatches(secret, 'not hex'), false);
});
