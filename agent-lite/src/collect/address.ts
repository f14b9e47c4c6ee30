/**
 * Address text as the tools print it → one normal form, and the classes of remote that are
 * never a flow through the gateway (loopback, link-local, multicast, unspecified).
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * `[::ffff:10.0.0.5]`, `fe80::1%eth0`, `::FFFF:10.0.0.5` → `10.0.0.5`, `fe80::1`; null if the text
 * is not an IP address.
 */
export function normalizeAddress(text: string): string | null {
  let a = text.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return null;
  const groups = ipv6Groups(a);
  if (!groups) return null;
  // ::ffff:a.b.c.d is an IPv4 peer of a dual-stack socket: the gateway sees it as IPv4.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return formatIPv6(groups);
}

/** A valid IPv6 text → its eight 16-bit groups (embedded IPv4 included). */
function ipv6Groups(text: string): number[] | null {
  let t = text.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    t = `${t.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = t.split('::');
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - tl.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...tl].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIPv6(groups: number[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** Splits `addr:port` as ss, netstat and lsof print it (`[v6]:port`, `v6%zone:port`, `*:*`). */
export function splitHostPort(text: string): { host: string; port: string } | null {
  const i = text.lastIndexOf(':');
  if (i <= 0) return null;
  let host = text.slice(0, i);
  const port = text.slice(i + 1);
  // ss prints the device a socket is bound to after the address: 127.0.0.53%lo:53, [fe80::1]%eth0:22
  const at = host.startsWith('[') ? host.indexOf(']%') : -1;
  if (at > 0) host = host.slice(0, at + 1);
  return { host, port };
}

/** `*`, `0.0.0.0`, `::` → the unspecified address of that family. */
export function parseHost(host: string, v6Hint = false): string | null {
  if (host === '*') return v6Hint ? '::' : '0.0.0.0';
  return normalizeAddress(host);
}

/** `*` and `0` → 0; a decimal port → its number; anything else null. */
export function parsePort(text: string): number | null {
  if (text === '*') return 0;
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function v4Octets(a: string): number[] {
  return a.split('.').map(Number);
}

/** Addresses a flow to which never crosses the gateway, so reporting it would only add noise. */
export function isLocalOnly(address: string): boolean {
  if (isIPv4(address)) {
    const [a = 0, b = 0] = v4Octets(address);
    return (
      a === 0 || // unspecified, "this network"
      a === 127 || // loopback
      (a === 169 && b === 254) || // link-local
      a >= 224 // multicast, reserved, broadcast
    );
  }
  const a = address.toLowerCase();
  return (
    a === '::' ||
    a === '::1' ||
    /^fe[89ab][0-9a-f]:/.test(a) || // fe80::/10 link-local
    a.startsWith('ff') // multicast
  );
}
