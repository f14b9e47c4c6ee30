import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

test('1 s doubling to 60 s; reset starts over', () => {
  const b = new Backoff({ random: () => 0.5 });
  const delays = Array.from({ length: 9 }, () => b.next());
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  b.reset();
  assert.equal(b.next(), 1000);
});

test('±20 % jitter, never above 60 s', () => {
  const low = new Backoff({ random: () => 0 });
  const high = new Backoff({ random: () => 0.999999 });
  assert.deepEqual([low.next(), low.next(), low.next()], [800, 1600, 3200]);
  assert.deepEqual([high.next(), high.next(), high.next()], [1200, 2400, 4800]);
  for (let i = 0; i < 10; i++) high.next();
  assert.equal(high.next(), 60_000);
  for (let i = 0; i < 10; i++) low.next();
  assert.equal(low.next(), 48_000);
});

test('stepMs tells the step before jitter', () => {
  const b = new Backoff();
  assert.equal(b.stepMs, 1000);
  b.next();
  assert.equal(b.stepMs, 2000);
  assert.equal(b.attempt, 1);
});
