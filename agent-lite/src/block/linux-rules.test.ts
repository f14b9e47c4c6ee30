import { test } from 'node:test';
import assert from 'node:assert/strict';
import { owner } from '../testing/builders.js';
import { readTestdata } from '../testing/testdata.js';
import { blockCgroup, findCgroup2, nftTableScript, parseProcCgroup, ssKillArgs } from './linux-rules.js';

test('cgroup v2 mount: hybrid (this machine) and unified layouts', () => {
  const hybrid = findCgroup2(readTestdata('linux/mountinfo-hybrid.out'));
  assert.deepEqual(hybrid, { root: '/', mountPoint: '/sys/fs/cgroup/unified' });
  assert.deepEqual(blockCgroup(hybrid!, 'packetpilot-blocked'), {
    dir: '/sys/fs/cgroup/unified/packetpilot-blocked',
    path: '/packetpilot-blocked',
    nftPath: 'unified/packetpilot-blocked',
    level: 1,
  });
  const unified = findCgroup2(readTestdata('linux/mountinfo-unified.out'));
  assert.deepEqual(blockCgroup(unified!, 'packetpilot-blocked'), {
    dir: '/sys/fs/cgroup/packetpilot-blocked',
    path: '/packetpilot-blocked',
    nftPath: 'packetpilot-blocked',
    level: 1,
  });
  assert.equal(blockCgroup({ root: '/', mountPoint: '/mnt/cg2' }, 'x'), null, 'nft cannot name it');
  assert.equal(blockCgroup({ root: '/lxc/c1', mountPoint: '/sys/fs/cgroup' }, 'x')?.level, 3);
  assert.equal(findCgroup2('22 1 0:21 / /proc rw - proc proc rw\n'), null);
  assert.equal(
    findCgroup2('41 31 0:38 / /sys/fs/my\\040cg rw - cgroup2 cgroup2 rw')?.mountPoint,
    '/sys/fs/my cg',
  );
});

test('the nft table: loopback open, TCP reset and ICMP reject for the blocked cgroup, replaced atomically', () => {
  assert.equal(
    nftTableScript({ nftPath: 'unified/packetpilot-blocked', level: 1 }),
    `table inet packetpilot_agent {}
delete table inet packetpilot_agent
table inet packetpilot_agent {
  chain output {
    type filter hook output priority filter; policy accept;
    oifname "lo" accept
    socket cgroupv2 level 1 "unified/packetpilot-blocked" meta l4proto tcp counter reject with tcp reset
    socket cgroupv2 level 1 "unified/packetpilot-blocked" counter reject with icmpx admin-prohibited
  }
}
`,
  );
});

test('ss -K for exactly the given sockets, per protocol, 32 a run, IPv6 in brackets', () => {
  const a = owner({ sport: 50001 });
  const b = owner({
    proto: 'udp',
    sport: 50002,
    dst: '2001:db8::1',
    local: { address: '2001:db8::20', port: 50002 },
  });
  assert.deepEqual(ssKillArgs([a, b]), [
    ['-K', '-nH', '-t', '(', 'src', '192.168.1.20:50001', 'and', 'dst', '93.184.216.34:443', ')'],
    ['-K', '-nH', '-u', '(', 'src', '[2001:db8::20]:50002', 'and', 'dst', '[2001:db8::1]:443', ')'],
  ]);
  const many = Array.from({ length: 40 }, (_, i) => owner({ sport: 40000 + i }));
  const runs = ssKillArgs(many);
  assert.equal(runs.length, 2);
  assert.equal(runs[0]?.filter((x) => x === 'or').length, 31);
  assert.deepEqual(ssKillArgs([]), []);
});

test('parseProcCgroup reads the v2 line', () => {
  assert.equal(
    parseProcCgroup('12:pids:/\n0::/user.slice/user-1000.slice/session-2.scope\n'),
    '/user.slice/user-1000.slice/session-2.scope',
  );
  assert.equal(parseProcCgroup('1:cpu:/\n'), null);
});
