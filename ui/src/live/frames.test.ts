import { expect, test } from 'vitest';
import { parseFrame } from './frames';

const good = {
  type: 'rates',
  at: '2026-11-25T12:00:00.000Z',
  intervalMs: 1000,
  devices: [{ deviceId: 1, rxBps: 10, txBps: 2 }],
};

test('a valid rates frame', () => {
  const f = parseFrame(JSON.stringify(good));
  expect(f.kind).toBe('rates');
});

test('invalid frames are reported, unknown types skipped', () => {
  expect(parseFrame('{')).toEqual({ kind: 'invalid', why: 'not JSON' });
  expect(parseFrame(new ArrayBuffer(2))).toMatchObject({ kind: 'invalid' });
  expect(parseFrame('null')).toMatchObject({ kind: 'invalid' });
  expect(parseFrame(JSON.stringify({ type: 'hello' }))).toEqual({ kind: 'ignored' });
  expect(
    parseFrame(JSON.stringify({ ...good, devices: [{ deviceId: 'x', rxBps: 1, txBps: 1 }] })),
  ).toMatchObject({
    kind: 'invalid',
  });
  expect(parseFrame(JSON.stringify({ ...good, intervalMs: undefined }))).toMatchObject({ kind: 'invalid' });
});
