package com.packetpilot.agent.packet;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class IpPacketTest {
  @Test
  public void parsesIpv4Tcp() {
    byte[] b = Packets.tcp("10.111.222.1", "142.250.1.1", 40000, 443, 1000, 0, IpPacket.TCP_SYN, 0);
    IpPacket p = IpPacket.parse(b, b.length);
    assertNull(p.malformed);
    assertEquals(4, p.version);
    assertTrue(p.isTcp());
    assertEquals(40000, p.srcPort);
    assertEquals(443, p.dstPort);
    assertEquals(1000, p.seq);
    assertEquals(IpPacket.TCP_SYN, p.tcpFlags);
    assertEquals(0, p.payloadLength);
    assertArrayEquals(Packets.addr("142.250.1.1"), p.dst);
  }

  @Test
  public void parsesIpv6UdpBehindAnExtensionHeader() {
    byte[] plain = Packets.udp("fd00:7070:7070::1", "2001:db8::53", 5353, 53, 12);
    byte[] b = Packets.withIpv6Extension(plain, Packets.hopByHop(IpPacket.UDP));
    IpPacket p = IpPacket.parse(b, b.length);
    assertNull(p.malformed);
    assertEquals(6, p.version);
    assertTrue(p.isUdp());
    assertEquals(48, p.transportOffset);
    assertEquals(53, p.dstPort);
    assertEquals(12, p.payloadLength);
  }

  @Test
  public void parsesIpv6TcpWithPayload() {
    byte[] b = Packets.tcp("fd00:7070:7070::1", "2001:db8::1", 50000, 80, 0xfffffff0L, 77, IpPacket.TCP_ACK, 100);
    IpPacket p = IpPacket.parse(b, b.length);
    assertTrue(p.isTcp());
    assertEquals(0xfffffff0L, p.seq);
    assertEquals(77, p.ack);
    assertEquals(100, p.payloadLength);
  }

  @Test
  public void everyTruncationIsMalformedNeverAnException() {
    byte[][] packets = {
      Packets.tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, IpPacket.TCP_SYN, 10),
      Packets.udp("10.0.0.1", "10.0.0.2", 1, 2, 10),
      Packets.tcp("fd00::1", "fd00::2", 1, 2, 3, 4, IpPacket.TCP_SYN, 10),
      Packets.withIpv6Extension(Packets.udp("fd00::1", "fd00::2", 1, 2, 10), Packets.hopByHop(IpPacket.UDP)),
    };
    for (byte[] b : packets) {
      for (int len = 0; len < b.length; len++) {
        IpPacket p = IpPacket.parse(b, len);
        assertNotNull("length " + len + " of " + b.length, p.malformed);
        assertFalse(p.isTcp() || p.isUdp());
      }
      assertNull(IpPacket.parse(b, b.length).malformed);
    }
  }

  @Test
  public void malformedHeaders() {
    byte[] tcp4 = Packets.tcp("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, IpPacket.TCP_SYN, 0);
    assertEquals("empty", IpPacket.parse(new byte[0], 0).malformed);
    assertEquals("empty", IpPacket.parse(null, 10).malformed);

    byte[] v5 = tcp4.clone();
    v5[0] = 0x55;
    assertEquals("not IPv4 or IPv6", IpPacket.parse(v5, v5.length).malformed);

    byte[] shortIhl = tcp4.clone();
    shortIhl[0] = 0x44;
    assertEquals("IPv4 header length below 20", IpPacket.parse(shortIhl, shortIhl.length).malformed);

    byte[] longTotal = tcp4.clone();
    Checksum.put16(longTotal, 2, tcp4.length + 1);
    assertEquals("truncated IPv4 packet", IpPacket.parse(longTotal, longTotal.length).malformed);

    byte[] tinyTotal = tcp4.clone();
    Checksum.put16(tinyTotal, 2, 19);
    assertEquals("IPv4 total length below its header", IpPacket.parse(tinyTotal, tinyTotal.length).malformed);

    byte[] badOffset = tcp4.clone();
    badOffset[20 + 12] = (byte) (4 << 4);
    assertEquals("TCP header length below 20", IpPacket.parse(badOffset, badOffset.length).malformed);

    byte[] longOptions = tcp4.clone();
    longOptions[20 + 12] = (byte) (15 << 4);
    assertEquals("truncated TCP options", IpPacket.parse(longOptions, longOptions.length).malformed);

    byte[] udp = Packets.udp("10.0.0.1", "10.0.0.2", 1, 2, 4);
    byte[] badUdp = udp.clone();
    Checksum.put16(badUdp, 24, 7);
    assertEquals("bad UDP length", IpPacket.parse(badUdp, badUdp.length).malformed);
    Checksum.put16(badUdp, 24, 100);
    assertEquals("bad UDP length", IpPacket.parse(badUdp, badUdp.length).malformed);

    byte[] loop6 = Packets.withIpv6Extension(Packets.udp("fd00::1", "fd00::2", 1, 2, 0), Packets.hopByHop(0));
    // hop-by-hop pointing at hop-by-hop pointing past the packet
    assertNotNull(IpPacket.parse(loop6, loop6.length).malformed);
  }

  @Test
  public void laterFragmentsHaveNoPorts() {
    byte[] b = Packets.udp("10.0.0.1", "10.0.0.2", 1000, 53, 20);
    Checksum.put16(b, 6, 0x0003); // fragment offset 24 bytes
    IpPacket p = IpPacket.parse(b, b.length);
    assertNull(p.malformed);
    assertTrue(p.laterFragment);
    assertFalse(p.isUdp());
  }

  @Test
  public void groupAddresses() {
    byte[] m4 = Packets.udp("10.0.0.1", "224.0.0.251", 5353, 5353, 0);
    byte[] b4 = Packets.udp("10.0.0.1", "255.255.255.255", 68, 67, 0);
    byte[] m6 = Packets.udp("fd00::1", "ff02::fb", 5353, 5353, 0);
    byte[] u6 = Packets.udp("fd00::1", "2001:db8::1", 5353, 5353, 0);
    assertTrue(IpPacket.parse(m4, m4.length).toGroupAddress());
    assertTrue(IpPacket.parse(b4, b4.length).toGroupAddress());
    assertTrue(IpPacket.parse(m6, m6.length).toGroupAddress());
    assertFalse(IpPacket.parse(u6, u6.length).toGroupAddress());
  }
}
