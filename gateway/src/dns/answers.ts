/**
 * Builders for what the client receives: an aged copy of a cached answer, a truncated answer,
 * block answers and error answers. All of them copy the question bytes from the client's own
 * query, so 0x20 case randomisation survives, and add an OPT only when the client sent one.
 */
import dnsPacket from 'dns-packet';
import type { BlockMode } from './types.js';
import type { Answer } from './response.js';
import {
  F2_QR,
  F2_RD,
  F2_TC,
  F3_AD,
  F3_CD,
  F3_RA,
  HEADER_LEN,
  OPT_LEN,
  OUR_UDP_SIZE,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_A,
  TYPE_AAAA,
  TYPE_SOA,
  type Query,
} from './wire.js';

/** Largest UDP answer this client takes: its EDNS size (capped), or 512 without EDNS. */
export function maxUdpSize(q: Query): number {
  return q.edns ? Math.min(q.udpSize, 4096) : 512;
}

/**
 * The client's copy of an answer: id, RD/CD and question from the query, TTLs aged by `ageSec`.
 * Falls back to a truncated answer when it does not fit `maxSize`.
 */
export function fromAnswer(a: Answer, q: Query, ageSec: number, maxSize: number): Buffer {
  const wire = a.wire;
  const total = wire.length + (q.edns ? OPT_LEN : 0);
  if (total > maxSize) return truncated(a, q);
  const out = Buffer.allocUnsafe(total);
  // TypedArray#set and a byte loop: Buffer#copy allocates a view per call, which shows on the hot path.
  out.set(wire, 0);
  writeHeaderFlags(out, wire, q);
  copyQuestion(q, out);
  const offsets = a.ttlOffsets;
  const ttls = a.ttls;
  for (let i = 0; i < offsets.length; i++) {
    const off = offsets[i]!;
    const t = ageSec === 0 ? ttls[i]! : Math.max(ttls[i]! - ageSec, 0);
    out[off] = t >>> 24;
    out[off + 1] = t >>> 16;
    out[off + 2] = t >>> 8;
    out[off + 3] = t;
  }
  if (q.edns) {
    writeOpt(out, wire.length, q, a.rcode >> 4);
    const ar = out.readUInt16BE(10) + 1;
    out[10] = ar >> 8;
    out[11] = ar;
  }
  return out;
}

/** Header and question with TC=1 and no records, so the client retries over TCP (RFC 7766). */
export function truncated(a: Answer, q: Query): Buffer {
  const qEnd = q.questionEnd;
  const out = Buffer.alloc(qEnd + (q.edns ? OPT_LEN : 0));
  writeHeaderFlags(out, a.wire, q);
  out[2] = out[2]! | F2_TC;
  out[5] = 1;
  copyQuestion(q, out);
  if (q.edns) {
    writeOpt(out, qEnd, q, a.rcode >> 4);
    out[11] = 1;
  }
  return out;
}

/** The question exactly as the client sent it (its 0x20 case included). */
function copyQuestion(q: Query, out: Buffer): void {
  const msg = q.msg;
  for (let i = HEADER_LEN, end = q.questionEnd; i < end; i++) out[i] = msg[i]!;
}

/** id, QR, the answer's opcode/AA/RA/rcode, the client's RD and CD; AD only if the client can use it. */
function writeHeaderFlags(out: Buffer, wire: Buffer, q: Query): void {
  out[0] = q.id >> 8;
  out[1] = q.id;
  out[2] = (wire[2]! & ~(F2_RD | F2_TC)) | (q.flags2 & F2_RD);
  const adOk = (q.flags3 & F3_AD) !== 0 || q.dnssecOk;
  out[3] = (wire[3]! & ~(F3_CD | (adOk ? 0 : F3_AD))) | (q.flags3 & F3_CD);
}

function writeOpt(out: Buffer, at: number, q: Query, extRcode: number): void {
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = 41;
  out[at + 3] = OUR_UDP_SIZE >> 8;
  out[at + 4] = OUR_UDP_SIZE & 0xff;
  out[at + 5] = extRcode;
  out[at + 6] = 0;
  out[at + 7] = q.dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out[at + 9] = 0;
  out[at + 10] = 0;
}

/** RDATA of the synthetic SOA on blocked answers; MINIMUM (last 4 bytes) is patched per answer. */
const SOA_RDATA: Buffer = (() => {
  const packet = dnsPacket.encode({
    type: 'response',
    authorities: [
      {
        name: '.',
        type: 'SOA',
        ttl: 0,
        data: {
          mname: 'blocked.packetpilot.invalid',
          rname: 'hostmaster.packetpilot.invalid',
          serial: 1,
          refresh: 1800,
          retry: 900,
          expire: 604800,
          minimum: 0,
        },
      },
    ],
  });
  // Root owner (1 byte) + type/class/ttl/rdlength (10 bytes) precede the RDATA.
  return Buffer.from(packet.subarray(HEADER_LEN + 11));
})();

/** A blocked name's answer: 0.0.0.0 / :: for A/AAAA in null mode, else NODATA or NXDOMAIN with an SOA. */
export function blockAnswer(q: Query, mode: BlockMode, ttl: number): Buffer {
  const qEnd = q.questionEnd;
  const rdLen = mode === 'nxdomain' ? 0 : q.qtype === TYPE_A ? 4 : q.qtype === TYPE_AAAA ? 16 : 0;
  const record = rdLen > 0 ? 12 + rdLen : 12 + SOA_RDATA.length;
  const out = Buffer.alloc(qEnd + record + (q.edns ? OPT_LEN : 0));
  out[0] = q.id >> 8;
  out[1] = q.id;
  out[2] = F2_QR | (q.flags2 & F2_RD);
  out[3] = F3_RA | (q.flags3 & F3_CD) | (mode === 'nxdomain' ? RCODE_NXDOMAIN : RCODE_NOERROR);
  out[5] = 1;
  out[rdLen > 0 ? 7 : 9] = 1;
  copyQuestion(q, out);
  // Owner: a pointer to the question name at offset 12.
  out[qEnd] = 0xc0;
  out[qEnd + 1] = HEADER_LEN;
  out.writeUInt16BE(rdLen > 0 ? q.qtype : TYPE_SOA, qEnd + 2);
  out.writeUInt16BE(q.qclass, qEnd + 4);
  out.writeUInt32BE(ttl >>> 0, qEnd + 6);
  if (rdLen > 0) {
    // Buffer.alloc already zeroed the address.
    out.writeUInt16BE(rdLen, qEnd + 10);
  } else {
    out.writeUInt16BE(SOA_RDATA.length, qEnd + 10);
    SOA_RDATA.copy(out, qEnd + 12);
    out.writeUInt32BE(ttl >>> 0, qEnd + 12 + SOA_RDATA.length - 4);
  }
  if (q.edns) {
    writeOpt(out, qEnd + record, q, 0);
    out[11] = 1;
  }
  return out;
}

/** SERVFAIL, NOTIMP, REFUSED… for a query whose question parsed: header, question, OPT. */
export function errorAnswer(q: Query, rcode: number): Buffer {
  const qEnd = q.questionEnd;
  const out = Buffer.alloc(qEnd + (q.edns ? OPT_LEN : 0));
  out[0] = q.id >> 8;
  out[1] = q.id;
  out[2] = F2_QR | (q.flags2 & (0x78 | F2_RD));
  out[3] = F3_RA | (q.flags3 & F3_CD) | (rcode & 0x0f);
  out[5] = 1;
  copyQuestion(q, out);
  if (q.edns) {
    writeOpt(out, qEnd, q, rcode >> 4);
    out[11] = 1;
  }
  return out;
}

/** FORMERR / NOTIMP when only the header is trustworthy: the id and opcode echoed, no sections. */
export function headerOnlyAnswer(msg: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_LEN);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = F2_QR | (msg[2]! & (0x78 | F2_RD));
  out[3] = F3_RA | (rcode & 0x0f);
  return out;
}
