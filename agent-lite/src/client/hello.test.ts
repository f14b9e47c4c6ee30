import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { isValidHello } from './messages.js';
import { agentPlatform, buildHello, currentMachine, helloInterfaces } from './hello.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', mac: string, internal = false) =>
  ({
    address,
    family,
    mac,
    internal,
    netmask: '',
    cidr: null,
    ...(family === 'IPv6' ? { scopeid: 0 } : {}),
  }) as NetworkInterfaceInfo;

test('interfaces with real MACs, addresses normalised, loopback and MAC-less ones left out', () => {
  const out = helloInterfaces({
    lo: [iface('127.0.0.1', 'IPv4', '00:00:00:00:00:00', true)],
    eth0: [
      iface('192.168.1.20', 'IPv4', '52:54:00:AB:CD:EF'),
      iface('fe80::5054:ff:feab:cdef', 'IPv6', '52:54:00:AB:CD:EF'),
    ],
    wg0: [iface('10.8.0.2', 'IPv4', '00:00:00:00:00:00')],
  });
  assert.deepEqual(out, [
    { name: 'eth0', mac: '52:54:00:ab:cd:ef', addresses: ['192.168.1.20', 'fe80::5054:ff:feab:cdef'] },
  ]);
});

test('hello from this machine matches the protocol', () => {
  const hello = buildHello(currentMachine(), { blocking: 'enforced', droppedReports: 0 });
  assert.ok(isValidHello(hello), JSON.stringify(hello));
  assert.equal(hello.version, '0.1.0');
});

test('agentPlatform', () => {
  assert.equal(agentPlatform('linux'), 'linux');
  assert.equal(agentPlatform('win32'), 'windows');
  assert.equal(agentPlatform('darwin'), 'macos');
  assert.equal(agentPlatform('freebsd'), null);
});
