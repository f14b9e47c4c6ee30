/**
 * Turns an upstream response into the cache's form: exact-size wire without the upstream's OPT
 * (every client gets its own OPT, or none), plus the offsets of every TTL so a cache hit can age
 * the answer by patching bytes instead of re-encoding. Cold path: once per upstream answer.
 */
import {
  F2_QR,
  F2_TC,
  HEADER_LEN,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_A,
  TYPE_AAAA,
  TYPE_CNAME,
  TYPE_OPT,
  TYPE_PTR,
  TYPE_SOA,
  readName,
  skipName,
} from './wire.js';

export interface Answer {
  /** Upstream wire, OPT removed; the question has the same length as every matching query's. */
  wire: Buffer;
  /** Full rcode: header bits plus the OPT's extended bits. */
  rcode: number;
  truncated: boolean;
  /** Seconds this answer may be cached; 0 = not cacheable. */
  ttl: number;
  /** Offset of every record's TTL field in `wire`, and that TTL when the answer arrived. */
  ttlOffsets: Uint16Array;
  ttls: Uint32Array;
  /** A/AAAA addresses of the answer section (shared with listeners: never mutated). */
  addresses: readonly string[];
  /** Minimum TTL over those address records (0 when there are none). */
  addressTtl: number;
  /** Addresses and CNAME/PTR targets for the query log, at most SUMMARY_MAX. */
  summary: readonly string[];
}

export interface AnalyzeLimits {
  /** Cache time for NXDOMAIN/NODATA without an SOA (RFC 2308 says none; dnsmasq's --neg-ttl). */
  negativeTtlNoSoa: number;
  maxTtl: number;
}

const SUMMARY_MAX = 8;
const NO_RECORDS: readonly string[] = Object.freeze([]);

/** Returns the analysed answer, or a reason string when the response is malformed. */
export function analyzeResponse(buf: Buffer, limits: AnalyzeLimits): Answer | string {
  if (buf.length < HEADER_LEN) return `short response (${buf.length} bytes)`;
  if (!(buf[2]! & F2_QR)) return 'QR bit not set';
  if (buf.readUInt16BE(4) !== 1) return `qdcount ${buf.readUInt16BE(4)}`;
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const total = an + ns + buf.readUInt16BE(10);
  let pos = skipName(buf, HEADER_LEN);
  if (pos < 0 || pos + 4 > buf.length) return 'malformed question';
  pos += 4;

  const ttlOffsets = new Uint16Array(total);
  const ttls = new Uint32Array(total);
  let kept = 0;
  let optStart = -1;
  let optEnd = -1;
  let extRcode = 0;
  let minAnswerTtl = Infinity;
  let soaNegTtl = Infinity;
  let addressTtl = Infinity;
  const addresses: string[] = [];
  const summary: string[] = [];

  for (let i = 0; i < total; i++) {
    const ownerAt = pos;
    pos = skipName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) return `record ${i}: truncated owner or header`;
    const type = buf.readUInt16BE(pos);
    const rdAt = pos + 10;
    const rdLen = buf.readUInt16BE(pos + 8);
    const rdEnd = rdAt + rdLen;
    if (rdEnd > buf.length) return `record ${i}: rdata past the end`;
    if (type === TYPE_OPT) {
      if (optStart >= 0 || i < an + ns) return 'misplaced or repeated OPT';
      optStart = ownerAt;
      optEnd = rdEnd;
      extRcode = buf[pos + 4]!;
      pos = rdEnd;
      continue;
    }
    let ttl = buf.readUInt32BE(pos + 4);
    // RFC 2181 §8: a TTL with the top bit set means zero.
    if (ttl > 0x7fffffff) ttl = 0;
    ttlOffsets[kept] = pos + 4;
    ttls[kept++] = ttl;
    if (i < an) {
      if (ttl < minAnswerTtl) minAnswerTtl = ttl;
      if (type === TYPE_A && rdLen === 4) {
        addresses.push(`${buf[rdAt]}.${buf[rdAt + 1]}.${buf[rdAt + 2]}.${buf[rdAt + 3]}`);
      } else if (type === TYPE_AAAA && rdLen === 16) {
        addresses.push(formatIPv6(buf, rdAt));
      } else if ((type === TYPE_CNAME || type === TYPE_PTR) && summary.length < SUMMARY_MAX) {
        const target = readName(buf, rdAt);
        if (target === null) return `record ${i}: malformed target name`;
        summary.push(target);
      }
      if ((type === TYPE_A || type === TYPE_AAAA) && ttl < addressTtl) addressTtl = ttl;
    } else if (i < an + ns && type === TYPE_SOA && rdLen >= 22) {
      const negative = Math.min(ttl, buf.readUInt32BE(rdEnd - 4));
      if (negative < soaNegTtl) soaNegTtl = negative;
    }
    pos = rdEnd;
  }

  for (const a of addresses) {
    if (summary.length >= SUMMARY_MAX) break;
    summary.push(a);
  }

  const wire = normalise(buf, pos, optStart, optEnd, ttlOffsets.subarray(0, kept));
  const rcode = (extRcode << 4) | (buf[3]! & 0x0f);
  const truncated = (buf[2]! & F2_TC) !== 0;
  let ttl = 0;
  if (!truncated && rcode === RCODE_NOERROR && an > 0) {
    ttl = Math.min(minAnswerTtl, soaNegTtl);
  } else if (!truncated && (rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN)) {
    ttl = soaNegTtl === Infinity ? limits.negativeTtlNoSoa : soaNegTtl;
  }
  return {
    wire,
    rcode,
    truncated,
    ttl: Math.min(ttl, limits.maxTtl),
    ttlOffsets: ttlOffsets.slice(0, kept),
    ttls: ttls.slice(0, kept),
    addresses: addresses.length === 0 ? NO_RECORDS : addresses,
    addressTtl: addressTtl === Infinity ? 0 : addressTtl,
    summary: summary.length === 0 ? NO_RECORDS : summary,
  };
}

/** Copies buf[0, end) without the OPT record, fixing ARCOUNT and the TTL offsets after it. */
function normalise(buf: Buffer, end: number, optStart: number, optEnd: number, offsets: Uint16Array): Buffer {
  if (optStart < 0) return Buffer.from(buf.subarray(0, end));
  const cut = optEnd - optStart;
  const wire = Buffer.allocUnsafe(end - cut);
  buf.copy(wire, 0, 0, optStart);
  buf.copy(wire, optStart, optEnd, end);
  wire.writeUInt16BE(buf.readUInt16BE(10) - 1, 10);
  for (let i = 0; i < offsets.length; i++) if (offsets[i]! > optStart) offsets[i] = offsets[i]! - cut;
  return wire;
}

/** RFC 5952 text: lower-case hex, the longest run of zero groups as '::', IPv4-mapped dotted. */
export function formatIPv6(buf: Buffer, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(at + i * 2));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}
