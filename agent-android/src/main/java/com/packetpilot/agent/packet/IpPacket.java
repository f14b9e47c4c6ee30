package com.packetpilot.agent.packet;

/**
 * One IP packet as read from the VPN's tun device, parsed just far enough to answer it: IPv4 or
 * IPv6 (extension headers skipped), TCP or UDP ports and, for TCP, sequence numbers and flags.
 * Never throws on bad input: {@link #parse} returns a packet whose {@link #malformed} says why it
 * cannot be answered.
 */
public final class IpPacket {
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMP = 1;
  public static final int ICMPV6 = 58;

  public static final int TCP_FIN = 0x01;
  public static final int TCP_SYN = 0x02;
  public static final int TCP_RST = 0x04;
  public static final int TCP_ACK = 0x10;

  /** 4 or 6; 0 when not even the version could be read. */
  public final int version;
  /** Null when the packet can be answered; otherwise the reason it cannot. */
  public final String malformed;
  public final byte[] src;
  public final byte[] dst;
  /** The transport protocol (after IPv6 extension headers); -1 if unknown. */
  public final int protocol;
  /** Offset of the transport header in the buffer. */
  public final int transportOffset;
  /** The IP packet's length as its header says (never more than the bytes read). */
  public final int length;
  public final int srcPort;
  public final int dstPort;
  /** TCP only. */
  public final long seq;
  public final long ack;
  public final int tcpFlags;
  /** TCP payload bytes, UDP payload bytes. */
  public final int payloadLength;
  /** Not the first fragment of a fragmented packet: no transport header to answer. */
  public final boolean laterFragment;

  private IpPacket(int version, String malformed, byte[] src, byte[] dst, int protocol, int transportOffset,
      int length, int srcPort, int dstPort, long seq, long ack, int tcpFlags, int payloadLength,
      boolean laterFragment) {
    this.version = version;
    this.malformed = malformed;
    this.src = src;
    this.dst = dst;
    this.protocol = protocol;
    this.transportOffset = transportOffset;
    this.length = length;
    this.srcPort = srcPort;
    this.dstPort = dstPort;
    this.seq = seq;
    this.ack = ack;
    this.tcpFlags = tcpFlags;
    this.payloadLength = payloadLength;
    this.laterFragment = laterFragment;
  }

  private static IpPacket bad(int version, String why) {
    return new IpPacket(version, why, null, null, -1, 0, 0, 0, 0, 0, 0, 0, 0, false);
  }

  public boolean isTcp() {
    return malformed == null && protocol == TCP && !laterFragment;
  }

  public boolean isUdp() {
    return malformed == null && protocol == UDP && !laterFragment;
  }

  /** Parses the first {@code len} bytes of {@code buf}. */
  public static IpPacket parse(byte[] buf, int len) {
    if (buf == null || len < 1) return bad(0, "empty");
    if (len > buf.length) len = buf.length;
    int version = (buf[0] & 0xff) >>> 4;
    if (version == 4) return parse4(buf, len);
    if (version == 6) return parse6(buf, len);
    return bad(version, "not IPv4 or IPv6");
  }

  private static IpPacket parse4(byte[] b, int len) {
    if (len < 20) return bad(4, "truncated IPv4 header");
    int ihl = (b[0] & 0x0f) * 4;
    if (ihl < 20) return bad(4, "IPv4 header length below 20");
    if (ihl > len) return bad(4, "truncated IPv4 options");
    int total = u16(b, 2);
    if (total < ihl) return bad(4, "IPv4 total length below its header");
    if (total > len) return bad(4, "truncated IPv4 packet");
    int fragment = u16(b, 6);
    boolean later = (fragment & 0x1fff) != 0;
    int protocol = b[9] & 0xff;
    byte[] src = copy(b, 12, 4);
    byte[] dst = copy(b, 16, 4);
    return transport(4, b, src, dst, protocol, ihl, total, later);
  }

  private static IpPacket parse6(byte[] b, int len) {
    if (len < 40) return bad(6, "truncated IPv6 header");
    int total = 40 + u16(b, 4);
    if (total > len) return bad(6, "truncated IPv6 packet");
    byte[] src = copy(b, 8, 16);
    byte[] dst = copy(b, 24, 16);
    int next = b[6] & 0xff;
    int off = 40;
    boolean later = false;
    for (int hops = 0; ; hops++) {
      if (hops > 8) return bad(6, "too many IPv6 extension headers");
      if (next == 0 || next == 43 || next == 60) {
        // hop-by-hop, routing, destination options: (length + 1) * 8 bytes
        if (off + 2 > total) return bad(6, "truncated IPv6 extension header");
        int size = ((b[off + 1] & 0xff) + 1) * 8;
        if (off + size > total) return bad(6, "truncated IPv6 extension header");
        next = b[off] & 0xff;
        off += size;
      } else if (next == 44) {
        if (off + 8 > total) return bad(6, "truncated IPv6 fragment header");
        later = (u16(b, off + 2) & 0xfff8) != 0;
        next = b[off] & 0xff;
        off += 8;
      } else if (next == 51) {
        // authentication header: (length + 2) * 4 bytes
        if (off + 2 > total) return bad(6, "truncated IPv6 authentication header");
        int size = ((b[off + 1] & 0xff) + 2) * 4;
        if (off + size > total) return bad(6, "truncated IPv6 authentication header");
        next = b[off] & 0xff;
        off += size;
      } else {
        break;
      }
    }
    return transport(6, b, src, dst, next, off, total, later);
  }

  private static IpPacket transport(int version, byte[] b, byte[] src, byte[] dst, int protocol, int off,
      int total, boolean later) {
    if (later || (protocol != TCP && protocol != UDP)) {
      return new IpPacket(version, null, src, dst, protocol, off, total, 0, 0, 0, 0, 0, 0, later);
    }
    if (protocol == TCP) {
      if (off + 20 > total) return bad(version, "truncated TCP header");
      int dataOffset = ((b[off + 12] & 0xff) >>> 4) * 4;
      if (dataOffset < 20) return bad(version, "TCP header length below 20");
      if (off + dataOffset > total) return bad(version, "truncated TCP options");
      return new IpPacket(version, null, src, dst, protocol, off, total, u16(b, off), u16(b, off + 2),
          u32(b, off + 4), u32(b, off + 8), b[off + 13] & 0xff, total - off - dataOffset, false);
    }
    if (off + 8 > total) return bad(version, "truncated UDP header");
    int udpLength = u16(b, off + 4);
    if (udpLength < 8 || off + udpLength > total) return bad(version, "bad UDP length");
    return new IpPacket(version, null, src, dst, protocol, off, total, u16(b, off), u16(b, off + 2), 0, 0, 0,
        udpLength - 8, false);
  }

  /** IPv4 multicast/broadcast, IPv6 multicast: never answered with an error. */
  public boolean toGroupAddress() {
    if (dst == null) return false;
    if (version == 4) {
      int first = dst[0] & 0xff;
      boolean broadcast = (dst[0] & dst[1] & dst[2] & dst[3] & 0xff) == 0xff;
      return (first >= 224 && first <= 239) || broadcast;
    }
    return (dst[0] & 0xff) == 0xff;
  }

  static int u16(byte[] b, int off) {
    return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
  }

  static long u32(byte[] b, int off) {
    return ((long) u16(b, off) << 16) | u16(b, off + 2);
  }

  private static byte[] copy(byte[] b, int off, int n) {
    byte[] out = new byte[n];
    System.arraycopy(b, off, out, 0, n);
    return out;
  }
}
