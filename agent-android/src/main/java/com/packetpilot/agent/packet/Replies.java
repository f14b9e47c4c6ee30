package com.packetpilot.agent.packet;

/**
 * The answers the VPN sink writes back to a blocked app so that it fails fast instead of waiting
 * for timeouts: a TCP RST for TCP, an ICMP / ICMPv6 "administratively prohibited" destination
 * unreachable for UDP (the kernel turns both into an error on the app's socket at once).
 */
public final class Replies {
  static final int TTL = 64;
  /** RFC 1812: an ICMPv4 error carries as much of the packet as fits in 576 bytes. */
  static final int ICMP4_MAX = 576;
  /** RFC 4443: an ICMPv6 error carries as much as fits in the minimum MTU. */
  static final int ICMP6_MAX = 1280;

  private Replies() {}

  /** The RST that refuses this TCP segment, or null for a segment that must not be answered (a RST). */
  public static byte[] tcpReset(IpPacket p) {
    if (!p.isTcp() || (p.tcpFlags & IpPacket.TCP_RST) != 0) return null;
    long seq;
    long ack;
    int flags;
    if ((p.tcpFlags & IpPacket.TCP_ACK) != 0) {
      // RFC 793: <SEQ=SEG.ACK><CTL=RST>
      seq = p.ack;
      ack = 0;
      flags = IpPacket.TCP_RST;
    } else {
      // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count one each
      long len = p.payloadLength;
      if ((p.tcpFlags & IpPacket.TCP_SYN) != 0) len++;
      if ((p.tcpFlags & IpPacket.TCP_FIN) != 0) len++;
      seq = 0;
      ack = (p.seq + len) & 0xffffffffL;
      flags = IpPacket.TCP_RST | IpPacket.TCP_ACK;
    }
    int ipLen = p.version == 4 ? 20 : 40;
    byte[] out = new byte[ipLen + 20];
    ipHeader(out, p.version, IpPacket.TCP, p.dst, p.src, 20);
    int t = ipLen;
    Checksum.put16(out, t, p.dstPort);
    Checksum.put16(out, t + 2, p.srcPort);
    Checksum.put32(out, t + 4, seq);
    Checksum.put32(out, t + 8, ack);
    out[t + 12] = (byte) (5 << 4);
    out[t + 13] = (byte) flags;
    // window 0, checksum below, urgent pointer 0
    Checksum.put16(out, t + 16, Checksum.pseudo(p.dst, p.src, IpPacket.TCP, out, t, 20));
    return out;
  }

  /**
   * ICMP (IPv4: type 3 code 13) or ICMPv6 (type 1 code 1) destination unreachable, administratively
   * prohibited, quoting the packet; null for packets an error must not answer (group addresses,
   * later fragments, ICMP itself, malformed input).
   */
  public static byte[] unreachable(IpPacket p, byte[] original) {
    if (p.malformed != null || p.laterFragment || p.toGroupAddress()) return null;
    if (p.protocol == IpPacket.ICMP || p.protocol == IpPacket.ICMPV6) return null;
    if (p.version == 4) {
      int quote = Math.min(p.length, ICMP4_MAX - 20 - 8);
      byte[] out = new byte[20 + 8 + quote];
      ipHeader(out, 4, IpPacket.ICMP, p.dst, p.src, 8 + quote);
      out[20] = 3;
      out[21] = 13;
      System.arraycopy(original, 0, out, 28, quote);
      Checksum.put16(out, 22, Checksum.of(out, 20, 8 + quote));
      return out;
    }
    int quote = Math.min(p.length, ICMP6_MAX - 40 - 8);
    byte[] out = new byte[40 + 8 + quote];
    ipHeader(out, 6, IpPacket.ICMPV6, p.dst, p.src, 8 + quote);
    out[40] = 1;
    out[41] = 1;
    System.arraycopy(original, 0, out, 48, quote);
    Checksum.put16(out, 42, Checksum.pseudo(p.dst, p.src, IpPacket.ICMPV6, out, 40, 8 + quote));
    return out;
  }

  private static void ipHeader(byte[] out, int version, int protocol, byte[] src, byte[] dst, int payload) {
    if (version == 4) {
      out[0] = 0x45;
      Checksum.put16(out, 2, 20 + payload);
      Checksum.put16(out, 6, 0x4000); // don't fragment
      out[8] = (byte) TTL;
      out[9] = (byte) protocol;
      System.arraycopy(src, 0, out, 12, 4);
      System.arraycopy(dst, 0, out, 16, 4);
      Checksum.put16(out, 10, Checksum.of(out, 0, 20));
    } else {
      out[0] = 0x60;
      Checksum.put16(out, 4, payload);
      out[6] = (byte) protocol;
      out[7] = (byte) TTL;
      System.arraycopy(src, 0, out, 8, 16);
      System.arraycopy(dst, 0, out, 24, 16);
    }
  }
}
