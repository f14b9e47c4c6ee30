/**
 * `ss -tunpOH` output (iproute2; sock_diag netlink dump, one line per socket) → sockets and the
 * pids that hold them. Pure: tested on captured output in testdata/.
 *
 *   tcp ESTAB 0 0 192.168.1.20:51514 140.82.112.4:443 users:(("curl",pid=2201,fd=5))
 *   udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=612,fd=13))
 */
import { parseHost, parsePort, splitHostPort } from './address.js';
import type { Endpoint, Proto } from './collector.js';

export interface SsSocket {
  proto: Proto;
  /** As ss prints it: ESTAB, SYN-SENT, LISTEN, UNCONN, TIME-WAIT… */
  state: string;
  local: Endpoint;
  remote: Endpoint;
  /** Every process holding the socket, in ss's order (a socket can be shared after fork); `-p` only. */
  pids: number[];
  /** The socket's inode (`ino:`), `-e` only; 0 for sockets no file refers to any more. */
  inode?: number;
  /** The socket's owner uid (`uid:`), `-e` only; ss leaves it out for root. */
  uid?: number;
}

export interface SsParse {
  sockets: SsSocket[];
  /** Lines that were not a socket (shown in the debug log, never fatal). */
  malformed: string[];
}

/** Connected sockets only: no listeners, no unconnected UDP, no TIME-WAIT (no owner any more). */
const CONNECTED = ['state', 'connected', 'exclude', 'time-wait'] as const;
/** TCP+UDP, numeric, extended (inode, uid), one line each, no header. */
export const SS_ARGS = ['-tunOHe', ...CONNECTED] as const;
/** The same with iproute2's own owner lookup (`users:(…)`), which reads every process's fds. */
export const SS_USERS_ARGS = ['-tunpOH', ...CONNECTED] as const;

export function parseSs(text: string): SsParse {
  const sockets: SsSocket[] = [];
  const malformed: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const socket = parseLine(line);
    if (socket) sockets.push(socket);
    else malformed.push(line);
  }
  return { sockets, malformed };
}

function parseLine(line: string): SsSocket | null {
  const fields = line.split(/\s+/);
  const [netid, state, recvQ, sendQ, localText, peerText] = fields;
  if (netid !== 'tcp' && netid !== 'udp') return null;
  if (!state || !/^\d+$/.test(recvQ ?? '') || !/^\d+$/.test(sendQ ?? '')) return null;
  if (!localText || !peerText) return null;
  const local = endpoint(localText);
  const remote = endpoint(peerText, local?.address.includes(':'));
  if (!local || !remote) return null;
  const rest = fields.slice(6).join(' ');
  const pids = [...rest.matchAll(/\bpid=(\d+),fd=\d+/g)].map((m) => Number(m[1]));
  const socket: SsSocket = { proto: netid, state, local, remote, pids };
  const inode = / ino:(\d+)/.exec(` ${rest}`);
  if (inode?.[1]) socket.inode = Number(inode[1]);
  const uid = / uid:(\d+)/.exec(` ${rest}`);
  if (uid?.[1]) socket.uid = Number(uid[1]);
  return socket;
}

function endpoint(text: string, v6Hint = false): Endpoint | null {
  const hp = splitHostPort(text);
  if (!hp) return null;
  const address = parseHost(hp.host, v6Hint);
  const port = parsePort(hp.port);
  if (address === null || port === null) return null;
  return { address, port };
}
