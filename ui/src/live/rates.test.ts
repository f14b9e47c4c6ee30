import { expect, test } from 'vitest';
import type { LiveRates } from '@packetpilot/protocol';
import { appendFrame, deviceRates, frameTotals, latestPoint, type RatePoint } from './rates';

const frame = (at: number, devices: Array<[number, number, number]>): LiveRates => ({
  type: 'rates',
  at: new Date(at).toISOString(),
  intervalMs: 1000,
  devices: devices.map(([deviceId, rxBps, txBps]) => ({ deviceId, rxBps, txBps })),
});
const T0 = Date.parse('2026-11-25T12:00:00Z');

test('totals over devices', () => {
  expect(
    frameTotals(
      frame(T0, [
        [1, 100, 10],
        [2, 50, 5],
      ]),
    ),
  ).toEqual({ rx: 150, tx: 15 });
  expect(frameTotals(frame(T0, []))).toEqual({ rx: 0, tx: 0 });
});

test('appends, keeps the window, ignores stale frames', () => {
  let pts: RatePoint[] = [];
  for (let i = 0; i < 700; i++) pts = appendFrame(pts, frame(T0 + i * 1000, [[1, i, 0]]));
  expect(pts).toHaveLength(600);
  expect(pts[0]!.t).toBe(T0 + 100 * 1000);
  expect(latestPoint(pts)).toEqual({ t: T0 + 699_000, rx: 699, tx: 0 });
  const same = appendFrame(pts, frame(T0 + 5000, [[1, 1, 1]]));
  expect(same).toEqual(pts);
});

test('a pause becomes a gap (null point)', () => {
  let pts = appendFrame([], frame(T0, [[1, 10, 1]]));
  pts = appendFrame(pts, frame(T0 + 30_000, [[1, 20, 2]]));
  expect(pts.map((p) => p.rx)).toEqual([10, null, 20]);
  expect(latestPoint(pts)!.rx).toBe(20);
});

test('bad time is ignored', () => {
  const bad = { ...frame(T0, [[1, 1, 1]]), at: 'not a date' };
  expect(appendFrame([], bad)).toEqual([]);
  expect(latestPoint([])).toBeNull();
});

test('per-device rates', () => {
  const m = deviceRates(
    frame(T0, [
      [3, 7, 8],
      [4, 0, 1],
    ]),
  );
  expect(m.get(3)).toEqual({ rxBps: 7, txBps: 8 });
  expect(m.get(5)).toBeUndefined();
});
