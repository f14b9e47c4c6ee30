import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGatewayMessage } from './messages.js';

test('gateway messages are checked against the protocol', () => {
  assert.deepEqual(parseGatewayMessage('{"type":"ack","seq":4}'), {
    ok: true,
    message: { type: 'ack', seq: 4 },
  });
  assert.equal(parseGatewayMessage('{"type":"error","message":"x","seq":3}').ok, true);
  const bad = parseGatewayMessage('{"type":"welcome","agentId":1,"deviceId":null,"heartbeatSeconds":0}');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.reason, /invalid welcome message: \/heartbeatSeconds/);
  assert.match(JSON.stringify(parseGatewayMessage('[')), /invalid JSON/);
  assert.match(JSON.stringify(parseGatewayMessage('{"type":"nope"}')), /unknown message type/);
  assert.match(JSON.stringify(parseGatewayMessage('null')), /unknown message type/);
  assert.equal(parseGatewayMessage('{"type":"ack","seq":1,"extra":true}').ok, false);
});
