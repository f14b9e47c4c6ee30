package com.packetpilot.agent.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class EnrollmentTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void readsTheQrCodesDeepLink() {
    // the example of protocol/src/agents.ts
    Enrollment.Link l = Enrollment.parseDeepLink("packetpilot://enroll?gateway=http%3A%2F%2F192.168.1.1%3A8080&code=ABCDE-FGHJK");
    assertEquals("http://192.168.1.1:8080", l.gateway);
    assertEquals("ABCDE-FGHJK", l.code);
    Enrollment.Link s = Enrollment.parseDeepLink("packetpilot://enroll?code=abcde%20fghjk&gateway=https%3A%2F%2Fpp.home.arpa%2F");
    assertEquals("https://pp.home.arpa", s.gateway);
    assertEquals("abcde fghjk", s.code);
  }

  @Test
  public void refusesWhatIsNotAnEnrollmentLink() {
    assertNull(Enrollment.parseDeepLink(null));
    assertNull(Enrollment.parseDeepLink("https://pp.home.arpa/enroll?code=X"));
    assertNull(Enrollment.parseDeepLink("packetpilot://other?gateway=http%3A%2F%2Fa&code=X"));
    assertNull(Enrollment.parseDeepLink("packetpilot://enroll?gateway=ftp%3A%2F%2Fa&code=X"));
    assertNull(Enrollment.parseDeepLink("packetpilot://enroll?gateway=http%3A%2F%2Fa"));
    assertNull(Enrollment.parseDeepLink("packetpilot://enroll?gateway=http%3A%2F%2Fa&code="));
    assertNull(Enrollment.parseDeepLink("packetpilot://enroll?gateway=%zz&code=X"));
    assertNull(Enrollment.parseDeepLink("not a link at all"));
  }

  @Test
  public void credentialIsKeptPrivateAndNeverPrinted() throws Exception {
    Credential c = Enrollment.parseReply("http://gw:8080/", "{\"agentId\":12,\"secret\":\"s3cr3t\",\"deviceId\":null}");
    assertEquals("Agent 12.s3cr3t", c.authorization());
    assertEquals(-1, c.deviceId);
    assertFalse(c.toString().contains("s3cr3t"));
    StateDir dir = new StateDir(tmp.getRoot());
    c.save(dir);
    Credential back = Credential.load(dir);
    assertEquals("http://gw:8080", back.gateway);
    assertEquals("Agent 12.s3cr3t", back.authorization());
    File f = new File(tmp.getRoot(), Credential.FILE);
    assertTrue(f.canRead());
    assertTrue(Files.getPosixFilePermissions(f.toPath()).toString(), !Files.getPosixFilePermissions(f.toPath()).toString().contains("OTHERS"));
    Files.write(f.toPath(), "{".getBytes(StandardCharsets.UTF_8));
    try {
      Credential.load(dir);
      throw new AssertionError("a damaged credential must not load");
    } catch (java.io.IOException expected) {
      assertTrue(expected.getMessage().contains("enroll again"));
    }
  }

  @Test
  public void socketUrlFollowsTheGatewayScheme() {
    assertEquals("ws://192.168.1.1:8080/api/v1/agent", AgentCore.socketUri("http://192.168.1.1:8080/").toString());
    assertEquals("wss://pp.home.arpa/api/v1/agent", AgentCore.socketUri("https://pp.home.arpa").toString());
  }

  @Test
  public void backoffDoublesUpToItsCapWithJitterAndResets() {
    Backoff b = new Backoff(1000, 8000, new java.util.Random(1));
    long[] expect = {1000, 2000, 4000, 8000, 8000};
    for (long e : expect) {
      long d = b.next();
      assertTrue(d + " near " + e, d >= e * 0.8 && d <= e * 1.2);
    }
    b.reset();
    assertTrue(b.next() <= 1200);
  }
}
