import { expect, test } from 'vitest';
import type { Rule } from '@packetpilot/protocol';
import { describeRule, findDeviceRule, sameTarget } from './rule-text';

const names = {
  service: (id: string) => ({ youtube: 'YouTube' })[id] ?? id,
  category: (id: string) => ({ video: 'Video' })[id] ?? id,
  device: (id: number) => `device ${id}`,
};

const rule = (id: number, over: Partial<Rule>): Rule => ({
  id,
  action: 'block',
  target: { type: 'internet' },
  scope: { type: 'all' },
  enabled: true,
  note: null,
  hits: 0,
  lastHitAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

test('rules in words', () => {
  expect(describeRule(rule(1, {}), names)).toBe('Block the whole internet for all devices');
  expect(
    describeRule(
      rule(2, { target: { type: 'service', id: 'youtube' }, scope: { type: 'device', id: 3 } }),
      names,
    ),
  ).toBe('Block YouTube for device 3');
  expect(describeRule(rule(3, { action: 'allow', target: { type: 'category', id: 'video' } }), names)).toBe(
    'Allow category Video for all devices',
  );
  expect(describeRule(rule(4, { target: { type: 'domain', value: 'example.com' } }), names)).toBe(
    'Block example.com for all devices',
  );
  expect(
    describeRule(rule(5, { target: { type: 'app', name: 'curl' }, scope: { type: 'device', id: 3 } }), names),
  ).toBe('Block app curl for device 3');
  expect(sameTarget({ type: 'app', name: 'Steam' }, { type: 'app', name: 'steam' })).toBe(true);
});

test('finding the device rule of a quick action', () => {
  const rules = [
    rule(1, { target: { type: 'service', id: 'youtube' } }),
    rule(2, { target: { type: 'service', id: 'youtube' }, scope: { type: 'device', id: 3 } }),
    rule(3, { target: { type: 'internet' }, scope: { type: 'device', id: 3 } }),
  ];
  expect(findDeviceRule(rules, 3, 'block', { type: 'service', id: 'youtube' })?.id).toBe(2);
  expect(findDeviceRule(rules, 4, 'block', { type: 'service', id: 'youtube' })).toBeUndefined();
  expect(findDeviceRule(rules, 3, 'block', { type: 'internet' })?.id).toBe(3);
  expect(findDeviceRule(rules, 3, 'allow', { type: 'internet' })).toBeUndefined();
  expect(sameTarget({ type: 'domain', value: 'A.com' }, { type: 'domain', value: 'a.com' })).toBe(true);
});
