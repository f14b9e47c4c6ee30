// The lab's "internet" web server, run inside pp-wan as its own process
// (`ip netns exec pp-wan node dist/lab/http-server.js [port] [--dot HOST:PORT]…`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Large enough for multi-GB throughput tests, small enough that a typo does not stream forever. */
export const MAX_BYTES = 64 * 1024 ** 3;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Write exactly `total` bytes, honouring back-pressure so memory stays flat for any size. */
function streamBytes(res: ServerResponse, total: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  res.on('close', () => {
    left = 0; // client went away: stop producing
  });
  pump();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (req.method === 'GET' && path === '/health') return json(res, 200, { ok: true });
  const bytes = /^\/bytes\/(\d+)$/.exec(path);
  if (req.method === 'GET' && bytes) {
    const n = Number(bytes[1]);
    if (!Number.isSafeInteger(n) || n > MAX_BYTES) {
      return json(res, 400, { error: { code: 'too_large', message: `at most ${MAX_BYTES} bytes` } });
    }
    return streamBytes(res, n);
  }
  if (req.method === 'POST' && path === '/upload') {
    let count = 0;
    req.on('data', (chunk: Buffer) => (count += chunk.length));
    req.on('end', () => json(res, 200, { bytes: count }));
    req.on('error', () => res.destroy());
    return;
  }
  json(res, 404, { error: { code: 'not_found', message: `${req.method} ${path}` } });
}

export function createLabHttpServer(): Server {
  const server = createServer(handle);
  server.requestTimeout = 0; // multi-GB transfers at a limited rate take long
  return server;
}

/** Listen on `::` dual-stack, so the server answers on IPv4 and IPv6 alike. */
export function listen(server: Server, port: number, host = '::'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: false }, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export const DOT_BANNER = 'lab-dot\n';

/**
 * A stand-in for a DNS-over-TLS server: accepts, writes a banner, closes after `holdMs`. Enough to
 * tell "the gateway dropped it" (a connect that times out) from "nothing listens" (refused).
 */
export function createDotStandIn(holdMs = 2000): TcpServer {
  const server = createTcpServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.write(DOT_BANNER);
    const timer = setTimeout(() => socket.end(), holdMs);
    socket.on('close', () => clearTimeout(timer));
  });
  return server;
}

/** `198.18.0.1:853` or `[2001:db8::1]:853`. */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`expected HOST:PORT or [V6]:PORT, got ${JSON.stringify(s)}`);
  }
  return { host: m[1], port };
}

function listenTcp(server: TcpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: true }, () => resolve());
  });
}

function isMain(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
}

if (isMain()) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { dot: { type: 'string', multiple: true } },
  });
  const port = Number(positionals[0] ?? 80);
  const server = createLabHttpServer();
  const dots = (values.dot ?? []).map((hp) => ({ ...parseHostPort(hp), server: createDotStandIn() }));
  const fail = (what: string) => (err: Error) => {
    console.error(`lab http server: cannot listen on ${what}: ${err.message}`);
    process.exit(1);
  };
  listen(server, port).then(
    (p) => console.log(`lab http server listening on [::]:${p} (pid ${process.pid})`),
    fail(`port ${port}`),
  );
  for (const d of dots) {
    listenTcp(d.server, d.host, d.port).then(
      () => console.log(`lab DoT stand-in listening on ${d.host} port ${d.port}`),
      fail(`${d.host} port ${d.port}`),
    );
  }
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      server.close();
      server.closeAllConnections();
      for (const d of dots) d.server.close();
      process.exit(0);
    });
  }
}
