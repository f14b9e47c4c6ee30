/**
 * Enrollment codes and agent secrets: generation, normalisation, hashing. Only hashes are stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ENROLLMENT_CODE_ALPHABET, ENROLLMENT_CODE_LENGTH } from '@packetpilot/protocol';

const GROUP = ENROLLMENT_CODE_LENGTH / 2;

/**
 * A new code, `XXXXX-XXXXX`: 10 symbols of a 32-letter alphabet, 50 bits. With the per-address
 * limit on failed exchanges and an expiry of at most a week, guessing one is out of reach.
 */
export function newEnrollmentCode(random: (n: number) => Buffer = randomBytes): string {
  // 32 symbols: the low 5 bits of a byte pick one without bias.
  const bytes = random(ENROLLMENT_CODE_LENGTH);
  let code = '';
  for (let i = 0; i < ENROLLMENT_CODE_LENGTH; i++) {
    code += ENROLLMENT_CODE_ALPHABET[bytes[i]! & 31];
  }
  return formatCode(code);
}

function formatCode(symbols: string): string {
  return `${symbols.slice(0, GROUP)}-${symbols.slice(GROUP)}`;
}

/**
 * The code as typed → its canonical 10 symbols, or null if it cannot be a code. Case, spaces and
 * dashes do not matter.
 */
export function normaliseCode(typed: string): string | null {
  const symbols = typed.toUpperCase().replace(/[\s-]+/g, '');
  if (symbols.length !== ENROLLMENT_CODE_LENGTH) return null;
  for (const c of symbols) if (!ENROLLMENT_CODE_ALPHABET.includes(c)) return null;
  return symbols;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What is stored for a code: sha256 hex of its canonical form. */
export function hashCode(code: string): string | null {
  const symbols = normaliseCode(code);
  return symbols === null ? null : sha256Hex(symbols);
}

/** An agent secret: 32 random bytes, base64url (43 characters). */
export function newAgentSecret(random: (n: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

export const AGENT_SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** Compares a presented secret with a stored sha256 hex in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
