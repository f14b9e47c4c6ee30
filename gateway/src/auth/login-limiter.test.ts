import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginLimiter, ipKey, userKey } from './login-limiter.js';

function clocked(options: ConstructorParameters<typeof LoginLimiter>[0] = {}) {
  let now = 1_000_000;
  const limiter = new LoginLimiter({ ...options, now: () => now });
  return { limiter, advance: (ms: number) => (now += ms) };
}

test('10 failures within a minute are answered; the 11th attempt waits for the window', () => {
  const { limiter, advance } = clocked();
  const keys = [ipKey('192.168.1.20'), userKey('Alice')];
  for (let i = 0; i < 10; i++) {
    assert.equal(limiter.retryAfterMs(keys), 0, `attempt ${i + 1}`);
    limiter.fail(keys);
    advance(1000);
  }
  // locked at the 10th failure (t = 9 s) for one window
  assert.equal(limiter.retryAfterMs(keys), 59_000);
  assert.equal(limiter.retryAfterMs([userKey('ALICE ')]), 59_000, 'usernames are case-insensitive');
  assert.equal(limiter.retryAfterMs([ipKey('192.168.1.21')]), 0, 'other addresses are not affected');
  advance(58_999);
  assert.equal(limiter.retryAfterMs(keys), 1);
  advance(1);
  assert.equal(limiter.retryAfterMs(keys), 0, 'after the window the right password may try');
});

test('failures older than the window do not count (sliding window)', () => {
  const { limiter, advance } = clocked();
  const keys = [ipKey('10.0.0.1')];
  for (let i = 0; i < 9; i++) limiter.fail(keys);
  advance(60_001);
  for (let i = 0; i < 9; i++) limiter.fail(keys);
  assert.equal(limiter.retryAfterMs(keys), 0);
  limiter.fail(keys);
  assert.equal(limiter.retryAfterMs(keys), 60_000);
});

test('repeat offenders wait twice as long each time, up to the cap; a quiet hour forgives', () => {
  const { limiter, advance } = clocked({ maxLockMs: 4 * 60_000 });
  const keys = [ipKey('10.0.0.2')];
  const lockOnce = () => {
    for (let i = 0; i < 10; i++) limiter.fail(keys);
    const wait = limiter.retryAfterMs(keys);
    advance(wait);
    return wait;
  };
  assert.deepEqual([lockOnce(), lockOnce(), lockOnce(), lockOnce()], [60_000, 120_000, 240_000, 240_000]);
  advance(60 * 60_000);
  assert.equal(lockOnce(), 60_000);
});

test('a right password clears the failures of its username only', () => {
  const { limiter } = clocked();
  const ip = ipKey('10.0.0.3');
  for (let i = 0; i < 9; i++) limiter.fail([ip, userKey('bob')]);
  limiter.succeed([userKey('bob')]);
  limiter.fail([ip, userKey('bob')]);
  assert.ok(limiter.retryAfterMs([ip]) > 0, 'the address still reached 10');
  assert.equal(limiter.retryAfterMs([userKey('bob')]), 0, 'the username starts again');
});

test('memory is bounded: lapsed entries go, then the least recently used', () => {
  const { limiter, advance } = clocked({ maxEntries: 100 });
  for (let i = 0; i < 500; i++) limiter.fail([ipKey(`10.1.${i >> 8}.${i & 255}`)]);
  assert.equal(limiter.size, 100);
  for (let i = 0; i < 10; i++) limiter.fail([ipKey('10.9.9.9')]);
  assert.ok(limiter.retryAfterMs([ipKey('10.9.9.9')]) > 0, 'the newest entry is kept');
  advance(2 * 60 * 60_000);
  limiter.fail([ipKey('10.9.9.10')]);
  assert.equal(limiter.size, 1, 'everything else had lapsed');
});
