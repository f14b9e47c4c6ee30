import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import {
  createDotStandIn,
  createLabHttpServer,
  DOT_BANNER,
  listen,
  MAX_BYTES,
  parseHostPort,
} from './http-server.js';

let server: Server;
let base: string;

before(async () => {
  server = createLabHttpServer();
  base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('GET /health', async () => {
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true });
});

test('GET /bytes/N streams exactly N bytes, including 0 and sizes off the chunk boundary', async () => {
  for (const n of [0, 1, 1000, 256 * 1024, 3 * 256 * 1024 + 7]) {
    const res = await fetch(`${base}/bytes/${n}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(n));
    assert.equal((await res.arrayBuffer()).byteLength, n, `size ${n}`);
  }
});

test('GET /bytes beyond the cap or malformed is refused', async () => {
  assert.equal((await fetch(`${base}/bytes/${MAX_BYTES + 1}`)).status, 400);
  assert.equal((await fetch(`${base}/bytes/12abc`)).status, 404);
});

test('POST /upload answers with the byte count it read', async () => {
  const res = await fetch(`${base}/upload`, { method: 'POST', body: new Uint8Array(123_457) });
  assert.deepEqual(await res.json(), { bytes: 123_457 });
});

test('DoT stand-in: writes its banner, then closes', async () => {
  const dot = createDotStandIn(20);
  await new Promise<void>((resolve) => dot.listen(0, '127.0.0.1', resolve));
  const { port } = dot.address() as AddressInfo;
  const got = await new Promise<string>((resolve, reject) => {
    let text = '';
    const s = connect(port, '127.0.0.1');
    s.on('data', (d) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
  dot.close();
  assert.equal(got, DOT_BANNER);
});

test('--dot HOST:PORT parsing', () => {
  assert.deepEqual(parseHostPort('198.18.0.1:853'), { host: '198.18.0.1', port: 853 });
  assert.deepEqual(parseHostPort('[2001:db8:77::1]:853'), { host: '2001:db8:77::1', port: 853 });
  assert.throws(() => parseHostPort('2001:db8::1:853'), /HOST:PORT/);
  assert.throws(() => parseHostPort('host:0'), /HOST:PORT/);
});
