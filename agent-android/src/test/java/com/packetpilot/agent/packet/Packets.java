package com.packetpilot.agent.packet;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds test packets: IPv4/IPv6, TCP/UDP, with correct lengths and checksums. */
final class Packets {
  static byte[] addr(String a) {
    try {
      return InetAddress.getByName(a).getAddress();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] tcp(String src, String dst, int sport, int dport, long seq, long ack, int flags, int payload) {
    byte[] seg = new byte[20 + payload];
    Checksum.put16(seg, 0, sport);
    Checksum.put16(seg, 2, dport);
    Checksum.put32(seg, 4, seq);
    Checksum.put32(seg, 8, ack);
    seg[12] = (byte) (5 << 4);
    seg[13] = (byte) flags;
    Checksum.put16(seg, 14, 65535);
    for (int i = 0; i < payload; i++) seg[20 + i] = (byte) i;
    byte[] s = addr(src);
    byte[] d = addr(dst);
    Checksum.put16(seg, 16, Checksum.pseudo(s, d, IpPacket.TCP, seg, 0, seg.length));
    return ip(s, d, IpPacket.TCP, seg, null);
  }

  static byte[] udp(String src, String dst, int sport, int dport, int payload) {
    byte[] seg = new byte[8 + payload];
    Checksum.put16(seg, 0, sport);
    Checksum.put16(seg, 2, dport);
    Checksum.put16(seg, 4, seg.length);
    for (int i = 0; i < payload; i++) seg[8 + i] = (byte) (0x40 + i);
    byte[] s = addr(src);
    byte[] d = addr(dst);
    Checksum.put16(seg, 6, Checksum.pseudo(s, d, IpPacket.UDP, seg, 0, seg.length));
    return ip(s, d, IpPacket.UDP, seg, null);
  }

  /** An IP packet around a transport segment; {@code ext6}: IPv6 extension headers to put first. */
  static byte[] ip(byte[] s, byte[] d, int protocol, byte[] seg, byte[] ext6) {
    if (s.length == 4) {
      byte[] p = new byte[20 + seg.length];
      p[0] = 0x45;
      Checksum.put16(p, 2, p.length);
      Checksum.put16(p, 4, 0x1234);
      p[8] = 64;
      p[9] = (byte) protocol;
      System.arraycopy(s, 0, p, 12, 4);
      System.arraycopy(d, 0, p, 16, 4);
      Checksum.put16(p, 10, Checksum.of(p, 0, 20));
      System.arraycopy(seg, 0, p, 20, seg.length);
      return p;
    }
    int ext = ext6 == null ? 0 : ext6.length;
    byte[] p = new byte[40 + ext + seg.length];
    p[0] = 0x60;
    Checksum.put16(p, 4, ext + seg.length);
    p[6] = (byte) (ext6 == null ? protocol : 0);
    p[7] = 64;
    System.arraycopy(s, 0, p, 8, 16);
    System.arraycopy(d, 0, p, 24, 16);
    if (ext6 != null) System.arraycopy(ext6, 0, p, 40, ext);
    System.arraycopy(seg, 0, p, 40 + ext, seg.length);
    return p;
  }

  /** A hop-by-hop options header (8 bytes, PadN) whose next header is {@code next}. */
  static byte[] hopByHop(int next) {
    return new byte[] {(byte) next, 0, 1, 4, 0, 0, 0, 0};
  }

  static byte[] withIpv6Extension(byte[] packet6, byte[] ext) {
    byte[] s = new byte[16];
    byte[] d = new byte[16];
    System.arraycopy(packet6, 8, s, 0, 16);
    System.arraycopy(packet6, 24, d, 0, 16);
    byte[] seg = new byte[packet6.length - 40];
    System.arraycopy(packet6, 40, seg, 0, seg.length);
    return ip(s, d, packet6[6] & 0xff, seg, ext);
  }

  static int u8(byte[] b, int off) {
    return b[off] & 0xff;
  }
}
