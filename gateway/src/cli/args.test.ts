import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGatewayArgs, parseListen, parseDatabaseUrl } from './args.js';

test('gateway args: defaults and required interfaces', () => {
  const a = parseGatewayArgs(['--lan', 'lan0', '--wan', 'wan0'], {});
  assert.deepEqual(a.listen, { host: null, port: 8080 });
  assert.equal(a.dataDir, '/var/lib/packetpilot');
  assert.equal(a.databaseUrl, null);
  assert.deepEqual([a.allowWanAdmin, a.tls], [false, false]);
  const b = parseGatewayArgs(['--lan', 'lan0', '--wan', 'wan0', '--allow-wan-admin', '--tls'], {});
  assert.deepEqual([b.allowWanAdmin, b.tls], [true, true]);
  assert.throws(() => parseGatewayArgs(['--lan', 'lan0'], {}), /--wan IF is required/);
  assert.throws(() => parseGatewayArgs(['--lan', 'x', '--wan', 'x'], {}), /must be different/);
  assert.throws(() => parseGatewayArgs(['--lan', 'a b', '--wan', 'w'], {}), /not an interface name/);
  assert.throws(() => parseGatewayArgs(['--lan', 'a', '--wan', 'w', '--bogus'], {}), /Unknown option/);
});

test('DATABASE_URL from the environment, flag wins', () => {
  const env = { DATABASE_URL: 'postgres://env@127.0.0.1/db' };
  assert.equal(parseGatewayArgs(['--lan', 'a', '--wan', 'b'], env).databaseUrl, env.DATABASE_URL);
  assert.equal(
    parseGatewayArgs(['--lan', 'a', '--wan', 'b', '--database-url', 'postgresql://flag@h/d'], env)
      .databaseUrl,
    'postgresql://flag@h/d',
  );
});

test('bad --listen and --database-url values get clear errors', () => {
  assert.deepEqual(parseListen('[::]:80'), { host: '::', port: 80 });
  assert.deepEqual(parseListen('192.168.77.1:8080'), { host: '192.168.77.1', port: 8080 });
  assert.throws(() => parseListen('8080'), /expected ADDR:PORT/);
  assert.throws(() => parseListen('1.2.3.4:99999'), /expected ADDR:PORT/);
  assert.throws(() => parseListen('not-an-ip:80'), /expected ADDR:PORT/);
  assert.throws(() => parseDatabaseUrl('localhost:5432'), /expected a postgres:\/\/ URL|not a URL/);
  assert.throws(() => parseDatabaseUrl('mysql://x@y/z'), /expected a postgres:\/\/ URL/);
});
