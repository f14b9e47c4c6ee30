import { expect, test } from 'vitest';
import { compareValues, filterRows, sortRows, type Column } from './table';

interface Row {
  name: string | null;
  bytes: number | null;
  ip: string;
}
const rows: Row[] = [
  { name: 'pc10', bytes: 5, ip: '192.168.77.10' },
  { name: 'pc2', bytes: null, ip: '192.168.77.2' },
  { name: null, bytes: 50, ip: '192.168.77.3' },
  { name: 'Phone', bytes: 7, ip: '192.168.77.4' },
];
const name: Column<Row> = { key: 'name', label: 'Name', sort: (r) => r.name, search: (r) => r.name };
const bytes: Column<Row> = { key: 'bytes', label: 'Bytes', sort: (r) => r.bytes, numeric: true };
const ip: Column<Row> = { key: 'ip', label: 'IP', search: (r) => r.ip };

test('natural string order, empties last in both directions', () => {
  expect(sortRows(rows, name, 'asc').map((r) => r.name)).toEqual(['pc2', 'pc10', 'Phone', null]);
  expect(sortRows(rows, name, 'desc').map((r) => r.name)).toEqual(['Phone', 'pc10', 'pc2', null]);
});

test('numbers', () => {
  expect(sortRows(rows, bytes, 'desc').map((r) => r.bytes)).toEqual([50, 7, 5, null]);
  expect(sortRows(rows, bytes, 'asc').map((r) => r.bytes)).toEqual([5, 7, 50, null]);
});

test('unsortable column keeps the order', () => {
  expect(sortRows(rows, ip, 'asc')).toEqual(rows);
  expect(sortRows(rows, undefined, 'asc')).toEqual(rows);
});

test('search matches every word across searchable columns', () => {
  const cols = [name, bytes, ip];
  expect(filterRows(rows, cols, 'PC').map((r) => r.name)).toEqual(['pc10', 'pc2']);
  expect(filterRows(rows, cols, 'pc 77.2').map((r) => r.name)).toEqual(['pc2']);
  expect(filterRows(rows, cols, '  ')).toHaveLength(4);
  expect(filterRows(rows, cols, 'nothing')).toHaveLength(0);
});

test('compareValues', () => {
  expect(compareValues(true, false)).toBeGreaterThan(0);
  expect(compareValues('a', 'B')).toBeLessThan(0);
  expect(compareValues(undefined, 1)).toBe(1);
});
