/**
 * /proc/net/{tcp,tcp6,udp,udp6} → sockets with their inode, and `socket:[inode]` fd links → owner.
 * Pure: tested on captured files in testdata/.
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4864 …
 *
 * Addresses are the kernel's in-memory words printed as hex: on a little-endian CPU (x86, arm64)
 * each 32-bit word reads byte-reversed.
 */
import { normalizeAddress } from './address.js';
import type { Endpoint, Proto } from './collector.js';

export interface ProcNetSocket {
  proto: Proto;
  /** Kernel state number: 1 ESTABLISHED … 10 LISTEN; UDP: 1 connected, 7 unconnected. */
  state: number;
  local: Endpoint;
  remote: Endpoint;
  uid: number;
  inode: number;
}

export const TCP_LISTEN = 0x0a;
export const TCP_TIME_WAIT = 0x06;
export const TCP_CLOSE = 0x07;

export interface ProcNetParse {
  sockets: ProcNetSocket[];
  malformed: string[];
}

export function parseProcNet(text: string, proto: Proto, littleEndian = true): ProcNetParse {
  const sockets: ProcNetSocket[] = [];
  const malformed: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('sl ')) continue;
    const f = line.split(/\s+/);
    const local = hexEndpoint(f[1], littleEndian);
    const remote = hexEndpoint(f[2], littleEndian);
    const state = /^[0-9A-Fa-f]{2}$/.test(f[3] ?? '') ? parseInt(f[3] ?? '', 16) : NaN;
    const uid = Number(f[7]);
    const inode = Number(f[9]);
    if (!/^\d+:$/.test(f[0] ?? '') || !local || !remote || Number.isNaN(state)) {
      malformed.push(line);
      continue;
    }
    if (!Number.isInteger(uid) || !Number.isInteger(inode) || f[9] === undefined) {
      malformed.push(line);
      continue;
    }
    sockets.push({ proto, state, local, remote, uid, inode });
  }
  return { sockets, malformed };
}

function hexEndpoint(text: string | undefined, littleEndian: boolean): Endpoint | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text ?? '');
  if (!m?.[1] || !m[2]) return null;
  const bytes: number[] = [];
  for (let w = 0; w < m[1].length; w += 8) {
    const word = m[1].slice(w, w + 8);
    const wb = [0, 2, 4, 6].map((i) => parseInt(word.slice(i, i + 2), 16));
    bytes.push(...(littleEndian ? wb.reverse() : wb));
  }
  const text4 = bytes.join('.');
  const address =
    bytes.length === 4
      ? text4
      : normalizeAddress(
          Array.from({ length: 8 }, (_, i) =>
            (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16),
          ).join(':'),
        );
  if (address === null) return null;
  return { address, port: parseInt(m[2], 16) };
}

/** `socket:[12345]` → 12345; any other fd target → null. */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m?.[1] ? Number(m[1]) : null;
}
