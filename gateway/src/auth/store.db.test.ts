import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachDatabase } from '../db/testing.js';
import type { SessionRepo, UserRepo } from './service.js';
import { SessionStore, UserStore, UsernameTakenError } from './store.js';

const HASH = 'scrypt$ignored-by-storage';

forEachDatabase('UserStore and SessionStore', (target) => {
  test('users: create, find case-insensitively, update, count', async () => {
    const { db } = await target.empty();
    let now = new Date('2024-06-01T10:00:00Z');
    const users: UserStore & UserRepo = new UserStore(db, () => now);
    assert.equal(await users.count(), 0);
    const alice = await users.create({ username: 'Alice', passwordHash: HASH, role: 'admin' });
    assert.deepEqual(
      { ...alice, id: 0 },
      {
        id: 0,
        username: 'alice',
        passwordHash: HASH,
        role: 'admin',
        disabled: false,
        createdAt: now,
        updatedAt: now,
      },
    );
    await assert.rejects(
      users.create({ username: 'ALICE', passwordHash: HASH, role: 'viewer' }),
      UsernameTakenError,
    );
    assert.equal((await users.findByUsername('aLiCe'))?.id, alice.id);
    assert.equal(await users.findByUsername('bob'), null);

    now = new Date('2024-06-02T10:00:00Z');
    assert.equal(await users.setPassword(alice.id, 'scrypt$new'), true);
    assert.equal(await users.setDisabled(alice.id, true), true);
    assert.deepEqual(await users.get(alice.id), {
      ...alice,
      passwordHash: 'scrypt$new',
      disabled: true,
      updatedAt: now,
    });
    assert.equal(await users.setDisabled(424242, true), false);
    assert.equal(await users.get(424242), null);
    await users.create({ username: 'bob', passwordHash: HASH, role: 'viewer' });
    assert.equal(await users.count(), 2);
  });

  test('sessions: valid until expiry or disable, touched at most once a minute, deletable', async () => {
    const { db } = await target.empty();
    let now = new Date('2024-06-01T10:00:00Z');
    const clock = () => now;
    const users = new UserStore(db, clock);
    const sessions: SessionStore & SessionRepo = new SessionStore(db, clock);
    const u = await users.create({ username: 'carol', passwordHash: HASH, role: 'viewer' });
    const created = await sessions.create(u.id, 'a'.repeat(64), 3_600_000, {
      userAgent: 'curl/8',
      ip: '192.168.7.20',
    });
    assert.deepEqual(created.expiresAt, new Date('2024-06-01T11:00:00Z'));

    now = new Date('2024-06-01T10:00:30Z');
    const found = await sessions.findValid('a'.repeat(64));
    assert.equal(found?.user.username, 'carol');
    assert.deepEqual([found?.userId, found?.userAgent, found?.ip], [u.id, 'curl/8', '192.168.7.20']);
    assert.deepEqual(found?.lastUsedAt, new Date('2024-06-01T10:00:00Z'), 'not touched within the minute');
    now = new Date('2024-06-01T10:01:05Z');
    await sessions.findValid('a'.repeat(64));
    now = new Date('2024-06-01T10:01:10Z');
    assert.deepEqual(
      (await sessions.findValid('a'.repeat(64)))?.lastUsedAt,
      new Date('2024-06-01T10:01:05Z'),
    );
    assert.equal(await sessions.findValid('b'.repeat(64)), null);

    await users.setDisabled(u.id, true);
    assert.equal(await sessions.findValid('a'.repeat(64)), null, 'a disabled user has no valid session');
    await users.setDisabled(u.id, false);

    now = new Date('2024-06-01T11:00:00Z');
    assert.equal(await sessions.findValid('a'.repeat(64)), null, 'expired at expires_at');
    await sessions.create(u.id, 'c'.repeat(64), 3_600_000);
    await sessions.create(u.id, 'd'.repeat(64), 3_600_000);
    assert.equal(await sessions.pruneExpired(), 1);
    assert.equal(await sessions.delete('c'.repeat(64)), true);
    assert.equal(await sessions.delete('c'.repeat(64)), false);
    assert.equal(await sessions.deleteForUser(u.id), 1);
    assert.equal(await sessions.findValid('d'.repeat(64)), null);
  });

  test('users: list by name, role changes, enabled admins counted, delete takes sessions along', async () => {
    const { db } = await target.empty();
    const users = new UserStore(db);
    const sessions = new SessionStore(db);
    const zed = await users.create({ username: 'zed', passwordHash: HASH, role: 'admin' });
    const amy = await users.create({ username: 'amy', passwordHash: HASH, role: 'viewer' });
    assert.deepEqual(
      (await users.list()).map((u) => u.username),
      ['amy', 'zed'],
    );
    assert.equal(await users.countEnabledAdmins(), 1);
    assert.equal(await users.setRole(amy.id, 'admin'), true);
    assert.equal(await users.countEnabledAdmins(), 2);
    await users.setDisabled(zed.id, true);
    assert.equal(await users.countEnabledAdmins(), 1, 'a disabled admin does not count');
    assert.equal(await users.setRole(424242, 'operator'), false);

    await sessions.create(amy.id, 'e'.repeat(64), 3_600_000);
    await sessions.create(amy.id, 'f'.repeat(64), 3_600_000);
    await sessions.create(amy.id, '0'.repeat(64), 3_600_000);
    assert.equal(await sessions.deleteForUser(amy.id, 'f'.repeat(64)), 2, 'all but the one kept');
    assert.equal((await sessions.findValid('f'.repeat(64)))?.userId, amy.id);
    assert.equal(await users.delete(amy.id), true);
    assert.equal(await sessions.findValid('f'.repeat(64)), null);
    assert.equal(await users.delete(amy.id), false);
  });
});
