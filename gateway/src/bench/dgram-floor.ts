/**
 * The ceiling of node:dgram on this machine, for the DNS benchmark: answers every query with one
 * fixed A record after the question, and does nothing else (no cache, policy, device lookup or query log).
 * No Node DNS server can answer faster than this one per core; the benchmark runs it beside the
 * gateway and dnsmasq so the gap between the three is measured on the same run.
 *
 * `node gateway/dist/bench/dgram-floor.js ADDRESS PORT`; prints `ready` once bound.
 */
import { createSocket } from 'node:dgram';
import { literalLookup } from '../dns/udp.js';

const [address = '127.0.0.1', port = '5354'] = process.argv.slice(2);
// `c0 0c` points at the question's name; type A, class IN, TTL 60, 198.18.0.10
const RECORD = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 10]);
const socket = createSocket({ type: 'udp4', lookup: literalLookup as never });
socket.on('message', (query, from) => {
  // the question ends after its name's labels, type and class; anything after (EDNS) is dropped
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end]! + 1;
  end += 5;
  if (end > query.length) return;
  const reply = Buffer.allocUnsafe(end + RECORD.length);
  query.copy(reply, 0, 0, end);
  reply[2] = reply[2]! | 0x80; // QR
  reply[3] = 0x80; // RA, NOERROR
  reply.writeUInt32BE(0x0001_0000, 6); // ANCOUNT 1, NSCOUNT 0
  reply.writeUInt16BE(0, 10); // ARCOUNT 0
  RECORD.copy(reply, end);
  socket.send(reply, from.port, from.address);
});
socket.bind({ address, port: Number(port) }, () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  socket.setSendBufferSize(4 * 1024 * 1024);
  console.log('ready');
});
process.once('SIGTERM', () => socket.close());
