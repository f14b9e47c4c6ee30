/** TCP framing, idle timeout and connection cap, with an echo handler in place of DNS. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { TcpFrontend } from './tcp.js';
import { testLogger, waitFor } from './testing.js';

const frontends: TcpFrontend[] = [];
after(async () => {
  await Promise.all(frontends.map((f) => f.close()));
});

/** Echoes every frame back; a frame starting with 0xff is "garbage" and closes the connection. */
async function echoServer(opts: { idleMs?: number; maxConnections?: number } = {}): Promise<number> {
  const f = new TcpFrontend({
    maxConnections: opts.maxConnections ?? 10,
    idleMs: opts.idleMs ?? 10_000,
    maxInflightPerConnection: 4,
    log: testLogger(),
    onMessage: (msg, conn) => {
      if (msg[0] === 0xff) return false;
      // Answer asynchronously, like a cache miss would.
      setImmediate(() => conn.send(Buffer.from(msg)));
      return true;
    },
  });
  frontends.push(f);
  return f.listen('127.0.0.1', 0);
}

const frame = (body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([body.length >> 8, body.length & 255]), body]);
const msg = (n: number, size = 12): Buffer => Buffer.alloc(size, n);

function client(port: number): { sock: Socket; frames: Buffer[]; closed: Promise<void> } {
  const sock = connect(port, '127.0.0.1');
  const frames: Buffer[] = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
      frames.push(buf.subarray(2, buf.readUInt16BE(0) + 2));
      buf = buf.subarray(buf.readUInt16BE(0) + 2);
    }
  });
  sock.on('error', () => undefined);
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  return { sock, frames, closed };
}

test('frames split byte by byte, many per write, and large ones are all delivered', async () => {
  const port = await echoServer();
  const c = client(port);
  const bodies = [msg(1), msg(2, 300), msg(3, 5000), msg(4), msg(5, 70), msg(6)];
  const stream = Buffer.concat(bodies.map(frame));
  // First 40 bytes one at a time (prefix split across chunks), the rest in one write.
  for (let i = 0; i < 40; i++) {
    c.sock.write(stream.subarray(i, i + 1));
    await new Promise((r) => setImmediate(r));
  }
  c.sock.write(stream.subarray(40));
  await waitFor('six echoes', () => c.frames.length === 6);
  assert.deepEqual(
    c.frames.map((f) => [f[0], f.length]),
    bodies.map((b) => [b[0], b.length]),
  );
  c.sock.destroy();
});

test('a garbage frame or a too-short length closes that connection, others keep working', async () => {
  const port = await echoServer();
  const good = client(port);
  const bad = client(port);
  const short = client(port);
  bad.sock.write(frame(Buffer.alloc(12, 0xff)));
  short.sock.write(Buffer.from([0, 3, 1, 2, 3]));
  await Promise.all([bad.closed, short.closed]);
  good.sock.write(frame(msg(7)));
  await waitFor('echo on the good connection', () => good.frames.length === 1);
  good.sock.destroy();
});

test('idle connections are closed after the idle timeout', async () => {
  const port = await echoServer({ idleMs: 150 });
  const c = client(port);
  const t0 = Date.now();
  c.sock.write(frame(msg(1)));
  await c.closed;
  assert.equal(c.frames.length, 1);
  assert.ok(Date.now() - t0 >= 140, `closed after ${Date.now() - t0} ms`);
});

test('connections beyond the cap are refused', async () => {
  const port = await echoServer({ maxConnections: 2 });
  const a = client(port);
  const b = client(port);
  a.sock.write(frame(msg(1)));
  b.sock.write(frame(msg(2)));
  await waitFor('two echoes', () => a.frames.length === 1 && b.frames.length === 1);
  const c = client(port);
  c.sock.write(frame(msg(3)));
  await c.closed;
  assert.equal(c.frames.length, 0);
  a.sock.destroy();
  b.sock.destroy();
});
