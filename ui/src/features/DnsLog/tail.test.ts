import { expect, test } from 'vitest';
import type { DnsQuery } from '@packetpilot/protocol';
import { filterFromQuery, filterToQuery, mergeQueries } from './tail';

const q = (id: number, name = `n${id}.test`): DnsQuery => ({
  id,
  at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
  deviceId: 1,
  client: '192.168.77.10',
  name,
  type: 'A',
  rcode: 'NOERROR',
  answer: [],
  blocked: false,
  ruleId: null,
  blockReason: null,
  latencyMs: 1,
  cached: false,
});

test('merging keeps newest first without duplicates and caps the list', () => {
  const shown = [q(5), q(4), q(3)];
  expect(mergeQueries(shown, [q(7), q(6), q(5, 'updated')]).map((x) => x.id)).toEqual([7, 6, 5, 4, 3]);
  expect(mergeQueries(shown, [q(7), q(6, 'x')]).find((x) => x.id === 6)!.name).toBe('x');
  expect(mergeQueries(shown, [q(9), q(8)], 3).map((x) => x.id)).toEqual([9, 8, 5]);
  expect(mergeQueries([], [])).toEqual([]);
});

test('filters round-trip through the address bar', () => {
  expect(filterFromQuery({ device: '3', blocked: 'true', q: 'tube' })).toEqual({
    device: 3,
    blocked: true,
    text: 'tube',
  });
  expect(filterFromQuery({ device: '0' })).toEqual({ device: 0, blocked: null, text: '' });
  expect(filterFromQuery({ device: 'x', blocked: 'maybe' })).toEqual({
    device: null,
    blocked: null,
    text: '',
  });
  expect(filterFromQuery({})).toEqual({ device: null, blocked: null, text: '' });
  expect(filterToQuery({ device: 3, blocked: false, text: '' })).toEqual({ device: '3', blocked: 'false' });
});
