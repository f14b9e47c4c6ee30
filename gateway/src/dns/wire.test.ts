import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryPacket } from './testing.js';
import {
  PARSE_DROP,
  PARSE_FORMERR,
  PARSE_NOTIMP,
  parseQuery,
  readName,
  skipName,
  type ParseFailure,
  type Query,
} from './wire.js';

function ok(r: Query | ParseFailure): Query {
  assert.equal(typeof r, 'object', `expected a query, got failure ${String(r)}`);
  return r as Query;
}

/** Header (id 0xbeef, RD, qdcount 1 unless given) followed by raw bytes. */
function raw(
  body: number[],
  header: Partial<{ flags: number; qd: number; an: number; ar: number }> = {},
): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  h.writeUInt16BE(header.flags ?? 0x0100, 2);
  h.writeUInt16BE(header.qd ?? 1, 4);
  h.writeUInt16BE(header.an ?? 0, 6);
  h.writeUInt16BE(header.ar ?? 0, 10);
  return Buffer.concat([h, Buffer.from(body)]);
}

const label = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];

test('a plain query: id, lower-cased name, type, class, question bounds', () => {
  const msg = queryPacket('WwW.ExAmple.COM', 'AAAA', { id: 4242 });
  const q = ok(parseQuery(msg));
  assert.equal(q.id, 4242);
  assert.equal(q.name, 'www.example.com');
  assert.equal(q.qtype, 28);
  assert.equal(q.qclass, 1);
  assert.equal(q.questionEnd, msg.length);
  assert.equal(q.edns, false);
  assert.equal(q.udpSize, 512);
  assert.equal(q.dnssecOk, false);
  // The 0x20 case stays in the message, which answers copy the question from.
  assert.equal(msg.subarray(13, 16).toString('latin1'), 'WwW');
});

test('EDNS: OPT found, UDP size and DO bit read; sizes below 512 count as 512', () => {
  const q = ok(parseQuery(queryPacket('a.test', 'A', { dnssecOk: true, udpSize: 4096 })));
  assert.deepEqual([q.edns, q.udpSize, q.dnssecOk], [true, 4096, true]);
  const small = ok(parseQuery(queryPacket('a.test', 'A', { edns: true, udpSize: 100 })));
  assert.deepEqual([small.edns, small.udpSize, small.dnssecOk], [true, 512, false]);
});

test('root name and escapes for dots, backslashes and unprintable bytes inside labels', () => {
  assert.equal(ok(parseQuery(raw([0, 0, 2, 0, 1]))).name, '');
  const q = ok(parseQuery(raw([...label('a.b'), 3, 0x5c, 0x20, 0xff, ...label('X'), 0, 0, 1, 0, 1])));
  assert.equal(q.name, 'a\\.b.\\\\\\032\\255.x');
});

test('trailing bytes after the question are tolerated and not forwarded', () => {
  const msg = Buffer.concat([queryPacket('a.test', 'A'), Buffer.from([1, 2, 3])]);
  const q = ok(parseQuery(msg));
  assert.equal(q.end, msg.length - 3);
});

test('dropped: shorter than a header, or a response', () => {
  assert.equal(parseQuery(Buffer.alloc(11)), PARSE_DROP);
  assert.equal(parseQuery(Buffer.alloc(0)), PARSE_DROP);
  assert.equal(parseQuery(raw([0, 0, 1, 0, 1], { flags: 0x8100 })), PARSE_DROP);
});

test('NOTIMP for opcodes other than QUERY', () => {
  assert.equal(parseQuery(raw([0, 0, 1, 0, 1], { flags: 0x2800 })), PARSE_NOTIMP); // UPDATE
  assert.equal(parseQuery(raw([0, 0, 1, 0, 1], { flags: 0x1000 })), PARSE_NOTIMP); // STATUS
});

test('FORMERR for questions that do not parse', () => {
  const cases: Array<[string, Buffer]> = [
    ['qdcount 0', raw([0, 0, 1, 0, 1], { qd: 0 })],
    ['qdcount 2', raw([0, 0, 1, 0, 1, 0, 0, 1, 0, 1], { qd: 2 })],
    ['compression pointer in the question', raw([...label('a'), 0xc0, 12, 0, 1, 0, 1])],
    ['pointer to itself', raw([0xc0, 12, 0, 1, 0, 1])],
    ['extended label type 0x40', raw([0x41, 0, 0, 1, 0, 1])],
    ['label runs past the end', raw([10, 0x61, 0x62])],
    ['name without terminator', raw([...label('abc')])],
    ['qtype/qclass missing', raw([...label('a'), 0, 0, 1])],
    ['empty body', raw([])],
    [
      'name longer than 255 bytes',
      raw([
        ...Array(5)
          .fill(label('x'.repeat(60)))
          .flat(),
        0,
        0,
        1,
        0,
        1,
      ]),
    ],
    ['OPT rdata past the end', raw([0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 9], { ar: 1 })],
    ['record header truncated', raw([0, 0, 1, 0, 1, 0, 0, 41], { ar: 1 })],
    [
      'two OPT records',
      raw([0, 0, 1, 0, 1, ...[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], ...[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]], {
        ar: 2,
      }),
    ],
    [
      'OPT with a non-root owner',
      raw([0, 0, 1, 0, 1, ...label('a'), 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], { ar: 1 }),
    ],
    ['OPT in the answer section', raw([0, 0, 1, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0], { an: 1 })],
  ];
  for (const [what, msg] of cases) assert.equal(parseQuery(msg), PARSE_FORMERR, what);
});

test('a 255-byte name is the longest accepted', () => {
  // 3 × 63-byte labels + one 61-byte label: 4 + 189 + 61 + 1 (root) = 255 bytes on the wire.
  const name = [
    ...Array(3)
      .fill(label('a'.repeat(63)))
      .flat(),
    ...label('b'.repeat(61)),
    0,
  ];
  assert.equal(name.length, 255);
  assert.equal(typeof parseQuery(raw([...name, 0, 1, 0, 1])), 'object');
  const tooLong = [
    ...Array(3)
      .fill(label('a'.repeat(63)))
      .flat(),
    ...label('b'.repeat(62)),
    0,
  ];
  assert.equal(parseQuery(raw([...tooLong, 0, 1, 0, 1])), PARSE_FORMERR);
});

test('readName follows compression pointers and rejects loops and out-of-range pointers', () => {
  // "example.com" at 12, then "www" + pointer to 12 at 25.
  const buf = Buffer.from([
    ...Array(12).fill(0),
    ...label('Example'),
    ...label('COM'),
    0,
    ...label('www'),
    0xc0,
    12,
  ]);
  assert.equal(readName(buf, 12), 'example.com');
  assert.equal(readName(buf, 25), 'www.example.com');
  assert.equal(skipName(buf, 25), buf.length);
  const loop = Buffer.from([...Array(12).fill(0), 0xc0, 14, 0xc0, 12]);
  assert.equal(readName(loop, 12), null);
  const outside = Buffer.from([...Array(12).fill(0), 0xc0, 200]);
  assert.equal(readName(outside, 12), null);
  assert.equal(skipName(Buffer.from([...Array(12).fill(0), 0xc0]), 12), -1);
});
