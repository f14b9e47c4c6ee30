import { describe, expect, test } from 'vitest';
import {
  formatBitRate,
  formatBitRateAxis,
  formatBytes,
  formatCount,
  formatPercent,
  formatRelative,
} from './format';

describe('formatBytes', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 KB'],
    [1234, '1.23 KB'],
    [12_345, '12.3 KB'],
    [123_456, '123 KB'],
    [1_234_567, '1.23 MB'],
    [999_999, '1.00 MB'],
    [5_000_000_000, '5.00 GB'],
    [1.5e12, '1.50 TB'],
    [-2048, '-2.05 KB'],
  ])('%d bytes → %s', (n, text) => expect(formatBytes(n)).toBe(text));

  test('not a number', () => {
    expect(formatBytes(Number.NaN)).toBe('–');
    expect(formatBytes(Infinity)).toBe('–');
  });
});

describe('formatBitRate (bytes/s in, bit/s out)', () => {
  test.each([
    [0, '0 bit/s'],
    [100, '800 bit/s'],
    [125, '1.00 kbit/s'],
    [1_250_000, '10.0 Mbit/s'],
    [125_000_000, '1.00 Gbit/s'],
    [1_250_000_000, '10.0 Gbit/s'],
  ])('%d B/s → %s', (n, text) => expect(formatBitRate(n)).toBe(text));

  test('axis labels drop trailing zeros', () => {
    expect(formatBitRateAxis(1_250_000)).toBe('10 Mbit/s');
    expect(formatBitRateAxis(187_500)).toBe('1.5 Mbit/s');
    expect(formatBitRateAxis(0)).toBe('0 bit/s');
  });
});

test('counts and percentages', () => {
  expect(formatCount(1234567)).toBe('1,234,567');
  expect(formatPercent(1, 3)).toBe('33%');
  expect(formatPercent(1, 200)).toBe('0.5%');
  expect(formatPercent(5, 0)).toBe('0%');
});

test('relative times', () => {
  const now = new Date('2026-01-02T12:00:00Z');
  expect(formatRelative('2026-01-02T11:59:50Z', now)).toBe('just now');
  expect(formatRelative('2026-01-02T11:55:00Z', now)).toBe('5 min ago');
  expect(formatRelative('2026-01-02T09:00:00Z', now)).toBe('3 h ago');
  expect(formatRelative('2025-12-31T12:00:00Z', now)).toBe('2 days ago');
  expect(formatRelative('2026-01-02T12:10:00Z', now)).toBe('in 10 min');
  expect(formatRelative(null, now)).toBe('never');
});
