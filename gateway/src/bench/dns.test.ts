import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockPhases, percentile } from './dns.js';

test("blockPhases: each try's phases come from the first 'policy applied' line inside its POST", () => {
  const line = (o: object) => JSON.stringify({ level: 30, module: 'policy', ...o });
  const log = [
    line({ time: 1_000, ms: 4, setsMs: 2, msg: 'policy applied' }), // before try 1: not its own
    line({ time: 1_030, ms: 25, setsMs: 6, msg: 'policy applied' }),
    '{"time": 1050, "msg": "policy applied", "ms', // a torn line
    line({ time: 1_040, msg: 'something else' }),
    line({ time: 2_100, ms: 10, setsMs: 3, msg: 'policy applied' }), // after try 2's POST ended
  ].join('\n');
  const phases = blockPhases(log, {
    startedAt: [1_002, 2_000],
    postMs: [40, 50],
    stopMs: [20, 30],
    tries: 2,
  });
  assert.deepEqual(phases, [{ beforeApplyMs: 3, setsMs: 6, killMs: 19 }, null]);
});

test('percentile: the smallest value with at least p % of the tries at or below it', () => {
  const xs = [5, 1, 4, 2, 3];
  assert.equal(percentile(xs, 50), 3);
  assert.equal(percentile(xs, 99), 5);
  assert.ok(Number.isNaN(percentile([], 50)));
});
