/** The UDP side of one listen address. */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { ReplyTarget } from './tcp.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every send() through dns.lookup, which costs a tick even for
 * an IP literal. Clients are always IP literals here, so answer synchronously.
 */
export function literalLookup(address: string, family: number, cb: LookupCallback): void {
  // dgram passes the socket's family (4 or 6); no need to look at the address.
  cb(null, address, family === 6 ? 6 : 4);
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpListener implements ReplyTarget {
  readonly transport = 'udp';
  readonly #socket: Socket;
  readonly #log: Logger;
  #open = false;
  #sendErrors = 0;

  constructor(
    address: string,
    log: Logger,
    onMessage: (msg: Buffer, rinfo: RemoteInfo, via: UdpListener) => void,
  ) {
    const v6 = isIP(address) === 6;
    this.#log = log;
    this.#socket = createSocket({
      type: v6 ? 'udp6' : 'udp4',
      ipv6Only: v6,
      lookup: literalLookup as never,
    });
    this.#socket.on('message', (msg, rinfo) => onMessage(msg, rinfo, this));
    this.#socket.on('error', (err) => this.#sendFailed(err));
  }

  /** Binds; resolves with the bound port (useful with port 0). */
  bind(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new Error(`dns udp bind ${address}:${port}: ${err.message}`, { cause: err }));
      };
      this.#socket.once('error', onError);
      this.#socket.bind({ address, port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        this.#open = true;
        try {
          // Absorbs bursts while the event loop is busy; the kernel caps it at rmem_max.
          this.#socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
          this.#socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
        } catch (err) {
          this.#log.debug({ err }, 'dns udp: socket buffer size not changed');
        }
        resolve(this.#socket.address().port);
      });
    });
  }

  send(buf: Buffer, address: string, port: number): void {
    if (!this.#open) return;
    try {
      this.#socket.send(buf, port, address);
    } catch (err) {
      // A forged source port 0 and the like throw synchronously; that client gets no answer.
      this.#sendFailed(err as Error);
    }
  }

  close(): Promise<void> {
    if (!this.#open) {
      try {
        this.#socket.close();
      } catch {
        // Never bound: nothing to release.
      }
      return Promise.resolve();
    }
    this.#open = false;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #sendFailed(err: Error): void {
    const n = ++this.#sendErrors;
    if ((n & (n - 1)) === 0) this.#log.warn({ err, count: n }, 'dns udp: send failed');
  }
}
