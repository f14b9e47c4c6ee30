/**
 * DNS over TCP (RFC 7766): 2-byte length framing, several queries per connection answered as
 * they complete (possibly out of order), an idle timeout, a cap on connections and on queries
 * in flight per connection. Garbage framing closes that connection and nothing else.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';

/** Where an answer goes back to; the UDP listener implements it too. */
export interface ReplyTarget {
  readonly transport: 'udp' | 'tcp';
  send(buf: Buffer, address: string, port: number): void;
}

export interface TcpFrontendOptions {
  maxConnections: number;
  idleMs: number;
  maxInflightPerConnection: number;
  log: Logger;
  /** Handles one framed message; returns false when it is garbage and the connection must close. */
  onMessage(msg: Buffer, conn: TcpConnection): boolean;
}

export class TcpConnection implements ReplyTarget {
  readonly transport = 'tcp';
  readonly address: string;
  readonly port: number;
  inflight = 0;
  readonly #socket: Socket;
  readonly #maxInflight: number;

  constructor(socket: Socket, maxInflight: number) {
    this.#socket = socket;
    this.address = socket.remoteAddress ?? '';
    this.port = socket.remotePort ?? 0;
    this.#maxInflight = maxInflight;
  }

  send(buf: Buffer): void {
    if (this.inflight > 0) this.inflight--;
    const s = this.#socket;
    if (s.destroyed || !s.writable) return;
    const framed = Buffer.allocUnsafe(buf.length + 2);
    framed.writeUInt16BE(buf.length, 0);
    buf.copy(framed, 2);
    s.write(framed);
    if (s.isPaused() && this.inflight < this.#maxInflight) s.resume();
  }

  /** Counts a query in flight; stops reading while too many are waiting for answers. */
  started(): void {
    if (++this.inflight >= this.#maxInflight) this.#socket.pause();
  }
}

export class TcpFrontend {
  readonly #o: TcpFrontendOptions;
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(opts: TcpFrontendOptions) {
    this.#o = opts;
  }

  /** Listens on address:port (port must be free); resolves with the bound port. */
  listen(address: string, port: number): Promise<number> {
    const server = createServer((socket) => this.#accept(socket));
    // Node closes connections beyond this as soon as they are accepted.
    server.maxConnections = this.#o.maxConnections;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(new Error(`dns tcp listen ${address}:${port}: ${err.message}`, { cause: err }));
      };
      server.once('error', onError);
      server.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.#o.log.warn({ err }, 'dns tcp server error'));
        this.#servers.push(server);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
      });
    });
  }

  async close(): Promise<void> {
    const closing = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#servers.length = 0;
    await Promise.all(closing);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    const conn = new TcpConnection(socket, this.#o.maxInflightPerConnection);
    let idleStrikes = 0;
    // Framing state: the length prefix may arrive split, and a frame may span many chunks; a
    // frame is copied into its own buffer once, never re-concatenated per chunk.
    let lenHi = -1;
    let frame: Buffer | null = null;
    let filled = 0;
    const dispatch = (msg: Buffer): boolean => {
      conn.started();
      if (this.#o.onMessage(msg, conn) && !socket.destroyed) return true;
      socket.destroy();
      return false;
    };
    socket.setNoDelay(true);
    socket.setTimeout(this.#o.idleMs);
    socket.on('timeout', () => {
      // Queries still being answered earn the connection one more idle period, not more.
      if (conn.inflight === 0 || ++idleStrikes > 1) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      idleStrikes = 0;
      let i = 0;
      while (i < chunk.length) {
        if (frame !== null) {
          const n = Math.min(frame.length - filled, chunk.length - i);
          chunk.copy(frame, filled, i, i + n);
          filled += n;
          i += n;
          if (filled < frame.length) return;
          const msg = frame;
          frame = null;
          if (!dispatch(msg)) return;
          continue;
        }
        if (lenHi < 0) {
          lenHi = chunk[i++]!;
          continue;
        }
        const len = (lenHi << 8) | chunk[i++]!;
        lenHi = -1;
        // Shorter than a DNS header cannot be a query: the stream is garbage or out of sync.
        if (len < 12) {
          socket.destroy();
          return;
        }
        if (chunk.length - i >= len) {
          const msg = chunk.subarray(i, i + len);
          i += len;
          if (!dispatch(msg)) return;
        } else {
          frame = Buffer.allocUnsafe(len);
          filled = 0;
        }
      }
    });
  }
}
