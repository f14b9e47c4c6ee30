import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentSocketUrl, enrollUrl, GatewayUrlError, parseGatewayUrl } from './gateway-url.js';

test('base URL → enroll and WebSocket addresses', () => {
  const base = parseGatewayUrl('http://192.168.1.1:8080/');
  assert.equal(enrollUrl(base), 'http://192.168.1.1:8080/api/v1/agents/enroll');
  assert.equal(agentSocketUrl(base), 'ws://192.168.1.1:8080/api/v1/agent');
  const tls = parseGatewayUrl('https://gw.home.arpa/pp');
  assert.equal(agentSocketUrl(tls), 'wss://gw.home.arpa/pp/api/v1/agent');
  assert.equal(enrollUrl(tls), 'https://gw.home.arpa/pp/api/v1/agents/enroll');
});

test('bad URLs are refused with a reason', () => {
  assert.throws(() => parseGatewayUrl('192.168.1.1:8080'), /not a URL; expected e\.g\. http:\/\//);
  assert.throws(() => parseGatewayUrl('localhost:8080'), /http:\/\/ or https:\/\//);
  assert.throws(() => parseGatewayUrl('not a url'), GatewayUrlError);
  assert.throws(() => parseGatewayUrl('ws://gw:8080'), /must start with http/);
  assert.throws(() => parseGatewayUrl('http://u:p@gw'), /base URL only/);
  assert.throws(() => parseGatewayUrl('http://gw/?code=1'), /base URL only/);
});
