import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { FakeFiles } from '../testing/fake-files.js';
import { InodeOwners } from './inode-owners.linux.js';

function proc(files: FakeFiles, pid: number, fds: Record<number, string>): void {
  for (const [fd, target] of Object.entries(fds)) files.link(`/proc/${pid}/fd/${fd}`, target);
}

test('finds owners, then reads nothing while no new socket appears', async () => {
  const files = new FakeFiles();
  proc(files, 10, { 0: '/dev/null', 3: 'socket:[100]', 4: 'socket:[101]' });
  proc(files, 20, { 3: 'socket:[200]' });
  const owners = new InodeOwners(files, new FakeClock());
  const got = await owners.resolve(new Set([100, 200]));
  assert.equal(got.get(100), 10);
  assert.equal(got.get(200), 20);
  const reads = files.reads;
  await owners.resolve(new Set([100, 200]));
  assert.equal(files.reads, reads);
  assert.equal(owners.linksRead, 0);
});

test('a new socket of a process that recently opened one is found without reading the others', async () => {
  const files = new FakeFiles();
  const big: Record<number, string> = {};
  for (let fd = 0; fd < 500; fd++) big[fd] = `socket:[${1000 + fd}]`;
  proc(files, 50, big); // holds many old sockets
  proc(files, 9, { 3: 'socket:[1]' });
  const owners = new InodeOwners(files, new FakeClock());
  await owners.resolve(new Set([1, 1000]));
  proc(files, 9, { 4: 'socket:[2]' });
  await owners.resolve(new Set([1, 2, 1000]));
  assert.equal(owners.linksRead, 502, 'newest pid first: the big process, then 9');
  proc(files, 9, { 5: 'socket:[3]' });
  await owners.resolve(new Set([1, 2, 3, 1000]));
  assert.equal(owners.linksRead, 3, 'only pid 9, which opened the last new socket');
});

test('newest pids first for sockets of unknown processes; forgotten inodes dropped', async () => {
  const files = new FakeFiles();
  proc(files, 5, { 0: 'socket:[50]', 1: 'socket:[51]' });
  proc(files, 300, { 0: 'socket:[3000]' });
  const owners = new InodeOwners(files, new FakeClock());
  const got = await owners.resolve(new Set([3000]));
  assert.equal(got.get(3000), 300);
  assert.equal(owners.linksRead, 1);
  assert.equal((await owners.resolve(new Set())).size, 0);
});

test('an inode without a visible owner is retried after 5 s, not every poll', async () => {
  const files = new FakeFiles();
  proc(files, 5, { 0: 'socket:[50]' });
  const clock = new FakeClock();
  const owners = new InodeOwners(files, clock);
  await owners.resolve(new Set([50, 77]));
  assert.equal(owners.linksRead, 1);
  await owners.resolve(new Set([50, 77]));
  assert.equal(owners.linksRead, 0);
  await clock.advance(5001);
  proc(files, 6, { 0: 'socket:[77]' });
  assert.equal((await owners.resolve(new Set([50, 77]))).get(77), 6);
});
