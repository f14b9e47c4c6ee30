/**
 * Test support for the DNS tests (not used by the daemon): a real dnsmasq upstream on a free
 * loopback port, a tiny UDP/TCP DNS client, dig, and condition waits with deadlines.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import type { Logger } from '../log.js';
import { systemRunner } from '../os/runner.js';

/** A silent logger (PP_TEST_LOG=debug to see the server's lines). */
export function testLogger(): Logger {
  return pino({ level: process.env.PP_TEST_LOG ?? 'silent' });
}

/** Polls `fn` until it returns a truthy value; throws naming `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 5_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port free for both UDP and TCP on 127.0.0.1 (dnsmasq and our server bind both). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
  throw new Error('freePort: no port free for both UDP and TCP');
}

/** Sends one raw datagram and resolves with the first reply (or rejects after timeoutMs). */
export function udpExchange(
  port: number,
  msg: Buffer,
  timeoutMs = 3_000,
  host = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('message', (reply) => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    });
    s.send(msg, port, host);
  });
}

/** One length-prefixed exchange over a fresh TCP connection. */
export function tcpExchange(port: number, msg: Buffer, timeoutMs = 3_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TCP answer from port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= got.readUInt16BE(0) + 2) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got.subarray(2, got.readUInt16BE(0) + 2));
      }
    });
  });
}

export interface QueryOptions {
  id?: number;
  edns?: boolean;
  dnssecOk?: boolean;
  udpSize?: number;
}

/** dns-packet knows HTTPS (65) only by number. */
export const HTTPS = 'UNKNOWN_65';
export type QueryType = dnsPacket.RecordType | typeof HTTPS | 'ANY';

/** A query packet as a stub resolver sends it (RD set). */
export function queryPacket(name: string, qtype: QueryType, o: QueryOptions = {}): Buffer {
  const type = qtype as dnsPacket.RecordType;
  const edns = o.edns || o.dnssecOk;
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    additionals: edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: o.udpSize ?? 1232,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
            flag_do: o.dnssecOk ?? false,
            options: [],
          },
        ]
      : [],
  });
}

export interface DecodedRecord {
  name: string;
  type: string;
  class?: string;
  ttl: number;
  data: unknown;
  udpPayloadSize?: number;
  flags?: number;
}

/** dns-packet's decode with the fields tests read, typed loosely (its typings omit rcode, ttl…). */
export interface Decoded {
  id: number;
  flags: number;
  rcode: string;
  tc: boolean;
  questions: Array<{ name: string; type: string; class: string }>;
  answers: DecodedRecord[];
  authorities: DecodedRecord[];
  additionals: DecodedRecord[];
}

export function decode(buf: Buffer): Decoded {
  const p = dnsPacket.decode(buf) as unknown as Decoded & { flag_tc: boolean };
  return { ...p, tc: p.flag_tc };
}

export async function resolveUdp(
  port: number,
  name: string,
  type: QueryType,
  o: QueryOptions = {},
  timeoutMs = 3_000,
): Promise<Decoded> {
  return decode(await udpExchange(port, queryPacket(name, type, o), timeoutMs));
}

/** Runs dig against server:port (127.0.0.1 unless given) with short timeouts; resolves with its stdout. */
export async function dig(port: number, args: readonly string[], server = '127.0.0.1'): Promise<string> {
  const res = await systemRunner.run(
    'dig',
    [`@${server}`, '-p', String(port), '+time=3', '+tries=1', ...args],
    {
      timeoutMs: 15_000,
    },
  );
  return res.stdout;
}

export interface Dnsmasq {
  port: number;
  stop(): Promise<void>;
}

/**
 * A dnsmasq serving `hosts` (lines of "ADDRESS NAME") as the only source of truth, on a free
 * port of 127.0.0.1. `--local=/test/` makes unknown *.test names NXDOMAIN instead of REFUSED.
 */
export async function startDnsmasq(opts: {
  hosts: string[];
  args?: string[];
  ttl?: number;
}): Promise<Dnsmasq> {
  const dir = await mkdtemp(join(tmpdir(), 'pp-dns-test-'));
  const hostsFile = join(dir, 'hosts');
  await writeFile(hostsFile, opts.hosts.join('\n') + '\n');
  const port = await freePort();
  const child: ChildProcess = systemRunner.spawn('dnsmasq', [
    '--no-daemon',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${hostsFile}`,
    `--local-ttl=${opts.ttl ?? 300}`,
    '--local=/test/',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--user=root',
    ...(opts.args ?? []),
  ]);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await exitedP;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `dnsmasq on port ${port} to answer`,
      async () => {
        if (exited) throw new Error(`dnsmasq exited: ${stderr.trim()}`);
        const r = await udpExchange(port, queryPacket('ready.invalid', 'A'), 200);
        return r.length >= 12;
      },
      5_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}
