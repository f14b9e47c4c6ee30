package com.packetpilot.agent.packet;

/** The Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-headers. */
final class Checksum {
  private Checksum() {}

  static long add(long sum, byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    for (; i + 1 < end; i += 2) sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    if (i < end) sum += (b[i] & 0xff) << 8;
    return sum;
  }

  static int finish(long sum) {
    while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
    return (int) (~sum & 0xffff);
  }

  static int of(byte[] b, int off, int len) {
    return finish(add(0, b, off, len));
  }

  /** Checksum of an upper-layer segment with the IPv4 or IPv6 pseudo-header. */
  static int pseudo(byte[] src, byte[] dst, int protocol, byte[] b, int off, int len) {
    long sum = add(0, src, 0, src.length);
    sum = add(sum, dst, 0, dst.length);
    sum += protocol;
    sum += len & 0xffff;
    sum += len >>> 16;
    return finish(add(sum, b, off, len));
  }

  static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  static void put32(byte[] b, int off, long v) {
    put16(b, off, (int) (v >>> 16) & 0xffff);
    put16(b, off + 2, (int) v & 0xffff);
  }
}
