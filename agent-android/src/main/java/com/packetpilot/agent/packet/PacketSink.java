package com.packetpilot.agent.packet;

/**
 * What the VPN does with each packet of a blocked app: nothing leaves the phone. TCP is answered
 * with a RST, UDP with an ICMP unreachable, everything else (and anything malformed) is dropped.
 * Counts what it did; not thread-safe (one reader thread owns it).
 */
public final class PacketSink {
  public long packets;
  public long resets;
  public long unreachables;
  public long dropped;
  public long malformed;

  /** The packet to write back to the tun device for this one, or null to drop it silently. */
  public byte[] handle(byte[] buf, int len) {
    packets++;
    IpPacket p = IpPacket.parse(buf, len);
    byte[] reply = null;
    if (p.malformed != null) {
      malformed++;
    } else if (p.isTcp()) {
      reply = Replies.tcpReset(p);
      if (reply != null) resets++;
    } else if (p.isUdp()) {
      reply = Replies.unreachable(p, buf);
      if (reply != null) unreachables++;
    }
    if (reply == null) dropped++;
    return reply;
  }

  @Override
  public String toString() {
    return "packets=" + packets + " resets=" + resets + " unreachables=" + unreachables + " dropped="
        + dropped + " malformed=" + malformed;
  }
}
