package com.packetpilot.agent.packet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;

import java.util.Arrays;
import java.util.Random;
import org.junit.Test;

public class RepliesTest {
  /** A checksum over data that includes its own checksum field sums to zero. */
  private static void assertIpv4HeaderChecksum(byte[] r) {
    assertEquals(0, Checksum.of(r, 0, 20));
  }

  private static void assertTransportChecksum(byte[] r, int ipLen, int protocol) {
    byte[] src = Arrays.copyOfRange(r, ipLen == 20 ? 12 : 8, ipLen == 20 ? 16 : 24);
    byte[] dst = Arrays.copyOfRange(r, ipLen == 20 ? 16 : 24, ipLen == 20 ? 20 : 40);
    assertEquals(0, Checksum.pseudo(src, dst, protocol, r, ipLen, r.length - ipLen));
  }

  @Test
  public void ipv4SynGetsRstAck() {
    byte[] syn = Packets.tcp("10.111.222.1", "93.184.216.34", 40000, 443, 0xfffffffeL, 0, IpPacket.TCP_SYN, 0);
    byte[] r = Replies.tcpReset(IpPacket.parse(syn, syn.length));
    assertNotNull(r);
    assertEquals(40, r.length);
    IpPacket p = IpPacket.parse(r, r.length);
    assertNull(p.malformed);
    assertArrayEquals(Packets.addr("93.184.216.34"), p.src);
    assertArrayEquals(Packets.addr("10.111.222.1"), p.dst);
    assertEquals(443, p.srcPort);
    assertEquals(40000, p.dstPort);
    assertEquals(IpPacket.TCP_RST | IpPacket.TCP_ACK, p.tcpFlags);
    assertEquals(0, p.seq);
    assertEquals(0xffffffffL, p.ack); // SYN counts one
    assertIpv4HeaderChecksum(r);
    assertTransportChecksum(r, 20, IpPacket.TCP);
  }

  @Test
  public void ackedSegmentGetsRstAtItsAck() {
    byte[] data = Packets.tcp("10.111.222.1", "93.184.216.34", 40000, 443, 5000, 9000, IpPacket.TCP_ACK, 50);
    byte[] r = Replies.tcpReset(IpPacket.parse(data, data.length));
    IpPacket p = IpPacket.parse(r, r.length);
    assertEquals(IpPacket.TCP_RST, p.tcpFlags);
    assertEquals(9000, p.seq);
    assertEquals(0, p.ack);
  }

  @Test
  public void finWithoutAckCountsPayloadAndFin() {
    byte[] fin = Packets.tcp("10.0.0.1", "10.0.0.2", 1, 2, 0xffffffffL, 0, IpPacket.TCP_FIN, 10);
    byte[] r = Replies.tcpReset(IpPacket.parse(fin, fin.length));
    assertEquals(10, IpPacket.parse(r, r.length).ack); // wraps around 2^32
  }

  @Test
  public void ipv6SynGetsRst() {
    byte[] syn = Packets.tcp("fd00:7070:7070::1", "2a00:1450:4001::200e", 50123, 443, 42, 0, IpPacket.TCP_SYN, 0);
    byte[] r = Replies.tcpReset(IpPacket.parse(syn, syn.length));
    assertEquals(60, r.length);
    IpPacket p = IpPacket.parse(r, r.length);
    assertEquals(6, p.version);
    assertArrayEquals(Packets.addr("fd00:7070:7070::1"), p.dst);
    assertEquals(43, p.ack);
    assertEquals(Replies.TTL, r[7] & 0xff);
    assertTransportChecksum(r, 40, IpPacket.TCP);
  }

  @Test
  public void rstIsNeverAnswered() {
    byte[] rst = Packets.tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, IpPacket.TCP_RST | IpPacket.TCP_ACK, 0);
    assertNull(Replies.tcpReset(IpPacket.parse(rst, rst.length)));
    PacketSink sink = new PacketSink();
    assertNull(sink.handle(rst, rst.length));
    assertEquals(1, sink.dropped);
  }

  @Test
  public void ipv4UdpGetsIcmpAdministrativelyProhibited() {
    byte[] q = Packets.udp("10.111.222.1", "8.8.8.8", 33000, 53, 30);
    byte[] r = Replies.unreachable(IpPacket.parse(q, q.length), q);
    assertNotNull(r);
    assertEquals(20 + 8 + q.length, r.length);
    assertEquals(IpPacket.ICMP, r[9]);
    assertEquals(3, r[20]);
    assertEquals(13, r[21]);
    assertArrayEquals(Packets.addr("8.8.8.8"), Arrays.copyOfRange(r, 12, 16));
    assertArrayEquals(Packets.addr("10.111.222.1"), Arrays.copyOfRange(r, 16, 20));
    assertArrayEquals(q, Arrays.copyOfRange(r, 28, r.length)); // the whole datagram is quoted
    assertIpv4HeaderChecksum(r);
    assertEquals(0, Checksum.of(r, 20, r.length - 20));
  }

  @Test
  public void ipv4QuoteStaysWithin576Bytes() {
    byte[] q = Packets.udp("10.111.222.1", "1.1.1.1", 33000, 443, 1200);
    byte[] r = Replies.unreachable(IpPacket.parse(q, q.length), q);
    assertEquals(576, r.length);
    assertEquals(576, IpPacket.u16(r, 2));
  }

  @Test
  public void ipv6UdpGetsIcmpv6WithinTheMinimumMtu() {
    byte[] q = Packets.udp("fd00:7070:7070::1", "2606:4700::1111", 40000, 443, 1400);
    byte[] r = Replies.unreachable(IpPacket.parse(q, q.length), q);
    assertEquals(1280, r.length);
    assertEquals(IpPacket.ICMPV6, r[6]);
    assertEquals(1, r[40]);
    assertEquals(1, r[41]);
    assertEquals(1280 - 40, IpPacket.u16(r, 4));
    assertTransportChecksum(r, 40, IpPacket.ICMPV6);
    IpPacket p = IpPacket.parse(r, r.length);
    assertNull(p.malformed);
    assertEquals(IpPacket.ICMPV6, p.protocol);
  }

  @Test
  public void errorsAreNotAnswered() {
    byte[] icmp = Packets.ip(Packets.addr("10.0.0.1"), Packets.addr("10.0.0.2"), IpPacket.ICMP, new byte[] {8, 0, 0, 0, 0, 0, 0, 0}, null);
    byte[] mcast = Packets.udp("fd00::1", "ff02::fb", 5353, 5353, 10);
    byte[] frag = Packets.udp("10.0.0.1", "10.0.0.2", 1000, 53, 20);
    Checksum.put16(frag, 6, 0x0003);
    PacketSink sink = new PacketSink();
    assertNull(sink.handle(icmp, icmp.length));
    assertNull(sink.handle(mcast, mcast.length));
    assertNull(sink.handle(frag, frag.length));
    assertEquals(3, sink.dropped);
    assertEquals(0, sink.malformed);
  }

  @Test
  public void sinkCountsWhatItDid() {
    PacketSink sink = new PacketSink();
    byte[] syn = Packets.tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 0, IpPacket.TCP_SYN, 0);
    byte[] udp = Packets.udp("fd00::1", "fd00::2", 1, 2, 3);
    assertNotNull(sink.handle(syn, syn.length));
    assertNotNull(sink.handle(udp, udp.length));
    assertNull(sink.handle(syn, 30));
    assertEquals(3, sink.packets);
    assertEquals(1, sink.resets);
    assertEquals(1, sink.unreachables);
    assertEquals(1, sink.malformed);
    assertEquals(1, sink.dropped);
  }

  @Test
  public void randomBytesNeverThrow() {
    Random random = new Random(42);
    PacketSink sink = new PacketSink();
    byte[] buf = new byte[1600];
    for (int i = 0; i < 20000; i++) {
      random.nextBytes(buf);
      buf[0] = (byte) ((i % 2 == 0 ? 0x40 : 0x60) | (buf[0] & 0x0f));
      int len = random.nextInt(buf.length + 1);
      byte[] reply = sink.handle(buf, len);
      if (reply != null) assertNull(IpPacket.parse(reply, reply.length).malformed);
    }
    assertEquals(20000, sink.packets);
  }
}
