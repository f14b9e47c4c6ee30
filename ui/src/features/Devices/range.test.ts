import { expect, test } from 'vitest';
import { RANGES, bucketFor, rangeFor } from './range';

test('ranges end now', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  expect(rangeFor('hour', now)).toEqual({ from: '2026-11-25T11:00:00.000Z', to: '2026-11-25T12:00:00.000Z' });
  expect(rangeFor('week', now).from).toBe('2026-11-18T12:00:00.000Z');
});

test('buckets follow the range', () => {
  expect(bucketFor('hour', 'day')).toBe('minute');
  expect(bucketFor('day', 'minute')).toBe('minute');
  expect(bucketFor('month', 'minute')).toBe('day');
  expect(bucketFor('week', 'day')).toBe('day');
});

test('no range asks the gateway for more than its 50,000 points', () => {
  const ms = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
  for (const r of Object.values(RANGES))
    for (const b of r.buckets) expect(r.ms / ms[b]).toBeLessThanOrEqual(50_000);
});
