import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/testdata.js';
import { macAppFromPath, parseLsofFields, parsePsComm } from './darwin-parse.js';

test('lsof -F: process and file sets, connected, unconnected and listening sockets', () => {
  const { sockets, malformed } = parseLsofFields(readTestdata('darwin/lsof-F.out'));
  assert.equal(sockets.length, 8);
  assert.deepEqual(sockets[0], {
    pid: 412,
    command: 'firefox',
    uid: 501,
    proto: 'tcp',
    local: { address: '192.168.1.30', port: 52344 },
    remote: { address: '93.184.216.34', port: 443 },
    state: 'ESTABLISHED',
  });
  assert.deepEqual(sockets[1]?.remote, { address: '2606:4700::6810:84e5', port: 443 });
  assert.deepEqual(sockets[2]?.remote, { address: '1.1.1.1', port: 443 }, 'connected UDP');
  assert.deepEqual(sockets[3]?.remote, { address: '0.0.0.0', port: 0 }, 'unconnected UDP');
  assert.equal(sockets.find((s) => s.local.port === 7000)?.state, 'LISTEN');
  assert.equal(sockets.find((s) => s.local.port === 52600)?.state, 'SYN_SENT');
  assert.deepEqual(malformed, ['p1201 PTCP nnot-an-address', 'pxyz']);
});

test('ps comm: paths, users, bundle names', () => {
  const apps = parsePsComm(readTestdata('darwin/ps-comm.out'));
  assert.deepEqual(apps.get(412), {
    name: 'Firefox',
    path: '/Applications/Firefox.app/Contents/MacOS/firefox',
    user: 'alice',
  });
  assert.equal(apps.get(1201)?.name, 'Google Chrome');
  assert.deepEqual(apps.get(88), {
    name: 'mDNSResponder',
    path: '/usr/sbin/mDNSResponder',
    user: '_mdnsresponder',
  });
  assert.deepEqual(apps.get(999), { name: 'node', user: 'bob' });
  assert.equal(apps.size, 4);
});

test('macAppFromPath', () => {
  assert.deepEqual(macAppFromPath('/usr/bin/curl'), { name: 'curl', path: '/usr/bin/curl' });
  assert.equal(macAppFromPath('/Applications/Slack.app/Contents/MacOS/Slack').name, 'Slack');
});
