import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentMessage } from './messages.js';

const tuple = { proto: 'tcp', src: '192.168.1.20', sport: 50123, dst: '2001:db8::1', dport: 443 };

const valid = [
  {
    type: 'hello',
    version: '0.2.0',
    os: 'Linux 6.8',
    hostname: 'laptop',
    interfaces: [{ name: 'eth0', mac: '02:50:50:00:00:01', addresses: ['192.168.1.20', 'fe80::1'] }],
  },
  { type: 'heartbeat', at: '2026-11-25T10:00:00Z' },
  {
    type: 'flows',
    seq: 7,
    opened: [{ ...tuple, pid: 4242, app: { name: 'curl', path: '/usr/bin/curl', user: 'ana' } }],
    closed: [{ ...tuple, proto: 'udp' }],
  },
  {
    type: 'appUsage',
    seq: 0,
    period: { from: '2026-11-25T10:00:00Z', to: '2026-11-25T10:15:00Z' },
    apps: [
      {
        package: 'com.google.android.youtube',
        label: 'YouTube',
        wifiRxBytes: 5_000_000_000,
        wifiTxBytes: 1,
        mobileRxBytes: 0,
        mobileTxBytes: 0,
      },
    ],
  },
];

test('every message type of the protocol is accepted as sent', () => {
  for (const message of valid) {
    const parsed = parseAgentMessage(JSON.stringify(message));
    assert.deepEqual(parsed, { ok: true, message }, message.type);
  }
});

test('garbage gets a reason that says what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['not json', /^invalid JSON/],
    ['', /^invalid JSON/],
    ['[1,2]', /JSON object with a "type"/],
    ['null', /JSON object with a "type"/],
    ['{"seq":1}', /unknown message type undefined/],
    [
      '{"type":"welcome"}',
      /unknown message type "welcome"; expected one of hello, heartbeat, flows, appUsage/,
    ],
    ['{"type":"__proto__"}', /unknown message type/],
    ['{"type":"heartbeat"}', /invalid heartbeat message: \/ must have required properties at/],
    ['{"type":"heartbeat","at":"yesterday"}', /\/at must match format date-time/],
    [JSON.stringify({ ...valid[2], extra: 1 }), /\/ has unknown properties: extra/],
    [
      JSON.stringify({ type: 'flows', seq: 1, opened: [], closed: [{ ...tuple, sport: 70000 }] }),
      /\/closed\/0\/sport must be <= 65535/,
    ],
    [
      JSON.stringify({ type: 'flows', seq: 1, opened: [], closed: [{ ...tuple, src: '10.0.0.x' }] }),
      /\/closed\/0\/src must match format ipv4 or ipv6/,
    ],
    [JSON.stringify({ type: 'flows', seq: -1, opened: [], closed: [] }), /\/seq must be >= 0/],
    [
      JSON.stringify({
        ...valid[3],
        apps: [
          { package: 'a', label: 'A', wifiRxBytes: -1, wifiTxBytes: 0, mobileRxBytes: 0, mobileTxBytes: 0 },
        ],
      }),
      /wifiRxBytes must be >= 0/,
    ],
  ];
  for (const [text, reason] of cases) {
    const parsed = parseAgentMessage(text);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) assert.match(parsed.reason, reason, text);
  }
});

test('a reason stays short however long the offending value', () => {
  const parsed = parseAgentMessage(JSON.stringify({ type: 'x'.repeat(10_000) }));
  assert.equal(parsed.ok, false);
  if (!parsed.ok) assert.ok(parsed.reason.length < 200, parsed.reason);
});
