/**
 * Hand-rolled reading of DNS queries straight from the Buffer. The hot path needs the header, the
 * question and the OPT record only; decoding whole packets (dns-packet) per query costs about half
 * the throughput, so this file reads just those fields and validates exactly what it reads.
 */

export const HEADER_LEN = 12;
/** Root name, type, class, TTL, RDLENGTH: an OPT record with no options. */
export const OPT_LEN = 11;
/** What we tell clients we accept over UDP (DNS flag day 2020). */
export const OUR_UDP_SIZE = 1232;

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_ANY = 255;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

/** Flag bits of header byte 2 and byte 3. */
export const F2_QR = 0x80;
export const F2_AA = 0x04;
export const F2_TC = 0x02;
export const F2_RD = 0x01;
export const F3_RA = 0x80;
export const F3_AD = 0x20;
export const F3_CD = 0x10;

/** Why parseQuery refused a packet; the server maps each to drop / FORMERR / NOTIMP. */
export const PARSE_DROP = 1;
export const PARSE_FORMERR = 2;
export const PARSE_NOTIMP = 3;
export type ParseFailure = typeof PARSE_DROP | typeof PARSE_FORMERR | typeof PARSE_NOTIMP;

/** One parsed client query. `msg` is kept so the question can be copied into the answer. */
export interface Query {
  msg: Buffer;
  id: number;
  /** Header bytes 2 and 3 as sent by the client. */
  flags2: number;
  flags3: number;
  /** Lower-case, no trailing dot, presentation form ('' for the root, `\.` / `\DDD` escapes). */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just after QTYPE/QCLASS: msg[12, questionEnd) is the question as the client sent it. */
  questionEnd: number;
  /** Offset after the last resource record we walked (trailing bytes are not forwarded). */
  end: number;
  edns: boolean;
  /** The client's advertised UDP payload size (512 without EDNS). */
  udpSize: number;
  dnssecOk: boolean;
}

// Presentation form of a label is at most 4 bytes per wire byte (`\DDD`), names at most 255 bytes.
const scratch = Buffer.allocUnsafe(1100);

type SliceFn = (this: Buffer, start: number, end: number) => string;
/**
 * Buffer#latin1Slice is what toString('latin1') ends in, minus the encoding dispatch; it is not
 * in the typings, hence the lookup with a fallback.
 */
const latin1Slice: SliceFn =
  (Buffer.prototype as unknown as { latin1Slice?: SliceFn }).latin1Slice ??
  function (this: Buffer, start: number, end: number): string {
    return this.toString('latin1', start, end);
  };

/** Writes src[from, to) lower-cased and escaped into scratch at `out`; returns the new end. */
function appendLabel(src: Buffer, from: number, to: number, out: number): number {
  for (let i = from; i < to; i++) {
    let c = src[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) {
      scratch[out++] = c;
    } else if (c === 0x2e || c === 0x5c) {
      scratch[out++] = 0x5c;
      scratch[out++] = c;
    } else {
      scratch[out++] = 0x5c;
      scratch[out++] = 0x30 + ((c / 100) | 0);
      scratch[out++] = 0x30 + (((c / 10) | 0) % 10);
      scratch[out++] = 0x30 + (c % 10);
    }
  }
  return out;
}

/**
 * Reads header, question and the additional records (looking for OPT). Returns the query or why
 * it was refused. Never throws on any input.
 */
export function parseQuery(msg: Buffer): Query | ParseFailure {
  const len = msg.length;
  if (len < HEADER_LEN) return PARSE_DROP;
  const flags2 = msg[2]!;
  if (flags2 & F2_QR) return PARSE_DROP;
  if ((flags2 & 0x78) !== 0) return PARSE_NOTIMP;
  if (msg[4] !== 0 || msg[5] !== 1) return PARSE_FORMERR;

  let pos = HEADER_LEN;
  let out = 0;
  for (;;) {
    if (pos >= len) return PARSE_FORMERR;
    const l = msg[pos]!;
    if (l === 0) break;
    // Compression pointers (0xC0) and the obsolete extended label types are not valid here.
    if (l > 63) return PARSE_FORMERR;
    const stop = pos + 1 + l;
    if (stop >= len || stop - HEADER_LEN > 254) return PARSE_FORMERR;
    if (out !== 0) scratch[out++] = 0x2e;
    out = appendLabel(msg, pos + 1, stop, out);
    pos = stop;
  }
  const questionEnd = pos + 5;
  if (questionEnd > len) return PARSE_FORMERR;
  const qtype = (msg[pos + 1]! << 8) | msg[pos + 2]!;
  const qclass = (msg[pos + 3]! << 8) | msg[pos + 4]!;

  const q: Query = {
    msg,
    id: (msg[0]! << 8) | msg[1]!,
    flags2,
    flags3: msg[3]!,
    name: out === 0 ? '' : latin1Slice.call(scratch, 0, out),
    qtype,
    qclass,
    questionEnd,
    end: questionEnd,
    edns: false,
    udpSize: 512,
    dnssecOk: false,
  };
  const rrCount = ((msg[6]! << 8) | msg[7]!) + ((msg[8]! << 8) | msg[9]!) + ((msg[10]! << 8) | msg[11]!);
  return rrCount === 0 ? q : readExtraRecords(msg, q, rrCount);
}

/** Walks the records after the question (normally just OPT) without following pointers. */
function readExtraRecords(msg: Buffer, q: Query, count: number): Query | ParseFailure {
  const additionalFrom = count - ((msg[10]! << 8) | msg[11]!);
  let pos = q.questionEnd;
  for (let i = 0; i < count; i++) {
    const ownerAt = pos;
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > msg.length) return PARSE_FORMERR;
    const type = msg.readUInt16BE(pos);
    const rdEnd = pos + 10 + msg.readUInt16BE(pos + 8);
    if (rdEnd > msg.length) return PARSE_FORMERR;
    if (type === TYPE_OPT) {
      // RFC 6891 §6.1.1: one OPT, owned by the root, in the additional section; else FORMERR.
      if (q.edns || i < additionalFrom || pos !== ownerAt + 1) return PARSE_FORMERR;
      q.edns = true;
      const size = msg.readUInt16BE(pos + 2);
      q.udpSize = size < 512 ? 512 : size;
      q.dnssecOk = (msg[pos + 6]! & 0x80) !== 0;
    }
    pos = rdEnd;
  }
  q.end = pos;
  return q;
}

/**
 * Offset just after the name at `pos`, or -1. A pointer ends the name, so nothing is followed and
 * no loop is possible; callers that need the text use readName.
 */
export function skipName(buf: Buffer, pos: number): number {
  const len = buf.length;
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= len) return -1;
    const l = buf[pos]!;
    if (l === 0) return pos + 1;
    if ((l & 0xc0) === 0xc0) return pos + 2 <= len ? pos + 2 : -1;
    if (l > 63) return -1;
    pos += 1 + l;
  }
  return -1;
}

/**
 * Presentation form (lower-case, no trailing dot) of the possibly compressed name at `pos`, or
 * null when it is malformed: out of bounds, a pointer loop, or longer than 255 bytes.
 */
export function readName(buf: Buffer, pos: number): string | null {
  let out = 0;
  let wire = 0;
  for (let jumps = 0; ;) {
    if (pos >= buf.length) return null;
    const l = buf[pos]!;
    if (l === 0) break;
    if ((l & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length || ++jumps > 64) return null;
      pos = ((l & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (l > 63 || pos + 1 + l > buf.length) return null;
    wire += l + 1;
    if (wire > 254) return null;
    if (out !== 0) scratch[out++] = 0x2e;
    out = appendLabel(buf, pos + 1, pos + 1 + l, out);
    pos += 1 + l;
  }
  return out === 0 ? '' : latin1Slice.call(scratch, 0, out);
}

/** ASCII case-insensitive comparison of a[from, to) and b[from, to). */
export function sameBytesIgnoreCase(a: Buffer, b: Buffer, from: number, to: number): boolean {
  if (a.length < to || b.length < to) return false;
  for (let i = from; i < to; i++) {
    let x = a[i]!;
    let y = b[i]!;
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

export function rcodeOf(msg: Buffer): number {
  return msg[3]! & 0x0f;
}
