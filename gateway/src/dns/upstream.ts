/**
 * One upstream DNS server: UDP exchanges over a few connected sockets, TCP for truncated answers.
 * Connected sockets make the kernel drop datagrams from any other source and report ICMP port
 * unreachable as ECONNREFUSED, so a dead upstream fails in a millisecond instead of a timeout.
 * Every exchange gets a fresh random id and the answer must repeat both id and question.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomFillSync } from 'node:crypto';
import { isIP, connect as tcpConnect, type Socket as TcpSocket } from 'node:net';
import type { Logger } from '../log.js';
import { F2_QR, HEADER_LEN, sameBytesIgnoreCase } from './wire.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  family: 4 | 6;
  /** As written in the settings, for logs and errors. */
  label: string;
}

/** 'ADDR', 'ADDR:PORT', 'V6', '[V6]' or '[V6]:PORT'; throws with the offending text otherwise. */
export function parseUpstream(spec: string): UpstreamTarget {
  const s = spec.trim();
  let host = s;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(s) === 0 && s.includes(':') && s.indexOf(':') === s.lastIndexOf(':')) {
    host = s.slice(0, s.indexOf(':'));
    port = Number(s.slice(s.indexOf(':') + 1));
  }
  const family = isIP(host);
  if (family === 0)
    throw new Error(`DNS upstream "${spec}": not an IP address (host names are not resolved)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`DNS upstream "${spec}": bad port`);
  return { host, port, family: family as 4 | 6, label: s };
}

interface Pending {
  sent: Buffer;
  questionEnd: number;
  timer: NodeJS.Timeout;
  resolve: (msg: Buffer) => void;
  reject: (err: Error) => void;
}

interface Lane {
  socket: UdpSocket;
  pending: Map<number, Pending>;
  connected: boolean;
  /** Ids sent before connect() finished; sent from the connect callback. */
  backlog: number[];
}

const ids = new Uint16Array(512);
let idsLeft = 0;
function randomId(): number {
  if (idsLeft === 0) {
    randomFillSync(ids);
    idsLeft = ids.length;
  }
  return ids[--idsLeft]!;
}

export class Upstream {
  readonly target: UpstreamTarget;
  /** Clock ms of the last failed exchange (0 = healthy); the resolver tries failing ones last. */
  failedAt = 0;
  readonly #lanes: Lane[] = [];
  readonly #laneCount: number;
  readonly #tcp = new Set<TcpSocket>();
  #next = 0;
  #closed = false;

  constructor(target: UpstreamTarget, lanes = 4) {
    this.target = target;
    this.#laneCount = Math.max(1, lanes);
  }

  /** One UDP exchange. Resolves with the verified answer; rejects on timeout or a network error. */
  udp(query: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error(`upstream ${this.target.label}: closed`));
    const lane = this.#lane();
    let id = randomId();
    while (lane.pending.has(id)) id = randomId();
    const sent = Buffer.from(query);
    sent.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        lane.pending.delete(id);
        reject(new Error(`upstream ${this.target.label}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      lane.pending.set(id, { sent, questionEnd, timer, resolve, reject });
      if (lane.connected) this.#send(lane, id, sent);
      else lane.backlog.push(id);
    });
  }

  /** One TCP exchange on a fresh connection (only used after a truncated UDP answer). */
  tcp(query: Buffer, questionEnd: number, timeoutMs: number): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error(`upstream ${this.target.label}: closed`));
    const label = this.target.label;
    const sent = Buffer.allocUnsafe(query.length + 2);
    sent.writeUInt16BE(query.length, 0);
    query.copy(sent, 2);
    sent.writeUInt16BE(randomId(), 2);
    const body = sent.subarray(2);
    return new Promise<Buffer>((resolve, reject) => {
      const sock = tcpConnect({ host: this.target.host, port: this.target.port });
      this.#tcp.add(sock);
      let got: Buffer = Buffer.alloc(0);
      let done = false;
      const finish = (err: Error | null, msg?: Buffer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#tcp.delete(sock);
        sock.destroy();
        if (err) reject(err);
        else resolve(msg!);
      };
      const timer = setTimeout(
        () => finish(new Error(`upstream ${label} (tcp): no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      sock.on('connect', () => sock.write(sent));
      sock.on('error', (err) => finish(new Error(`upstream ${label} (tcp): ${err.message}`, { cause: err })));
      sock.on('close', () => finish(new Error(`upstream ${label} (tcp): closed before answering`)));
      sock.on('data', (chunk: Buffer) => {
        got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
        if (got.length < 2) return;
        const len = got.readUInt16BE(0);
        if (got.length < len + 2) return;
        const msg = got.subarray(2, len + 2);
        if (matches(msg, body, questionEnd)) finish(null, msg);
        else finish(new Error(`upstream ${label} (tcp): answer does not match the query`));
      });
    });
  }

  /** Fails every exchange in flight and releases all sockets and timers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of this.#lanes) {
      failAll(lane, new Error(`upstream ${this.target.label}: closed`));
      lane.socket.close();
    }
    this.#lanes.length = 0;
    for (const s of this.#tcp) s.destroy();
    this.#tcp.clear();
  }

  #lane(): Lane {
    if (this.#lanes.length < this.#laneCount) {
      const lane = this.#openLane();
      this.#lanes.push(lane);
      return lane;
    }
    this.#next = (this.#next + 1) % this.#lanes.length;
    return this.#lanes[this.#next]!;
  }

  #send(lane: Lane, id: number, sent: Buffer): void {
    lane.socket.send(sent, (err) => {
      const p = lane.pending.get(id);
      if (!err || p?.sent !== sent) return;
      lane.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error(`upstream ${this.target.label}: send: ${err.message}`, { cause: err }));
    });
  }

  #openLane(): Lane {
    const socket = createSocket(this.target.family === 6 ? 'udp6' : 'udp4');
    const lane: Lane = { socket, pending: new Map(), connected: false, backlog: [] };
    const pending = lane.pending;
    socket.connect(this.target.port, this.target.host, () => {
      lane.connected = true;
      for (const id of lane.backlog) {
        const p = pending.get(id);
        if (p) this.#send(lane, id, p.sent);
      }
      lane.backlog.length = 0;
    });
    socket.on('message', (msg: Buffer) => {
      if (msg.length < HEADER_LEN) return;
      const id = msg.readUInt16BE(0);
      const p = pending.get(id);
      // Late answers, and anything that does not repeat our question, are ignored: the real
      // answer may still come, or the timeout moves on to the next upstream.
      if (p === undefined || !matches(msg, p.sent, p.questionEnd)) return;
      pending.delete(id);
      clearTimeout(p.timer);
      p.resolve(msg);
    });
    socket.on('error', (err) => {
      // ECONNREFUSED (ICMP port unreachable) and friends concern every query of this lane.
      failAll(lane, new Error(`upstream ${this.target.label}: ${err.message}`, { cause: err }));
      if (!lane.connected) {
        // A lane that never connected is useless; the next query opens a fresh one.
        const i = this.#lanes.indexOf(lane);
        if (i >= 0) this.#lanes.splice(i, 1);
        lane.backlog.length = 0;
        socket.close();
      }
    });
    return lane;
  }
}

function failAll(lane: Lane, err: Error): void {
  for (const p of lane.pending.values()) {
    clearTimeout(p.timer);
    p.reject(err);
  }
  lane.pending.clear();
}

/** An answer to `sent`: QR set, same id, one question equal to ours ignoring case. */
function matches(msg: Buffer, sent: Buffer, questionEnd: number): boolean {
  return (
    msg.length >= questionEnd &&
    (msg[2]! & F2_QR) !== 0 &&
    msg[0] === sent[0] &&
    msg[1] === sent[1] &&
    msg[4] === 0 &&
    msg[5] === 1 &&
    sameBytesIgnoreCase(msg, sent, HEADER_LEN, questionEnd)
  );
}

/** Upstreams from the settings; a bad entry is logged and skipped so the others still serve. */
export function upstreamsFrom(specs: readonly string[], log: Logger): Upstream[] {
  const out: Upstream[] = [];
  for (const spec of specs) {
    try {
      out.push(new Upstream(parseUpstream(spec)));
    } catch (err) {
      log.warn({ err }, 'dns: ignoring upstream');
    }
  }
  return out;
}
