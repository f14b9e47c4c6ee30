import { expect, test } from 'vitest';
import { startOfToday, sumGroups } from './usage-math';

const g = (id: string, rx: number, tx = 0, flows = 1) => ({
  id,
  name: id.toUpperCase(),
  category: null,
  rxBytes: rx,
  txBytes: tx,
  flows,
});

test('groups of several devices are summed by id, largest first', () => {
  const out = sumGroups([
    { groups: [g('youtube', 100, 10), g('unknown', 5)] },
    { groups: [g('netflix', 50), g('youtube', 20, 0, 3)] },
    { groups: [] },
  ]);
  expect(out).toEqual([
    { id: 'youtube', name: 'YOUTUBE', rxBytes: 120, txBytes: 10, flows: 4 },
    { id: 'netflix', name: 'NETFLIX', rxBytes: 50, txBytes: 0, flows: 1 },
    { id: 'unknown', name: 'UNKNOWN', rxBytes: 5, txBytes: 0, flows: 1 },
  ]);
  expect(sumGroups([])).toEqual([]);
});

test('start of today is local midnight', () => {
  const d = startOfToday(new Date(2026, 10, 25, 15, 30, 12));
  expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([
    2026, 10, 25, 0, 0,
  ]);
});
