package com.packetpilot.agent.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The one enrollment call, against a stand-in gateway on loopback. */
public class EnrollmentHttpTest {
  HttpServer server;
  final AtomicReference<String> body = new AtomicReference<>();
  volatile int status = 200;
  volatile String reply = "{\"agentId\":12,\"secret\":\"s3cr3t\",\"deviceId\":3}";

  @Before
  public void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/v1/agents/enroll", new HttpHandler() {
      @Override
      public void handle(HttpExchange x) throws IOException {
        body.set(new String(readAll(x), StandardCharsets.UTF_8) + " " + x.getRequestMethod() + " "
            + x.getRequestHeaders().getFirst("Content-Type"));
        byte[] out = reply.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, out.length);
        OutputStream os = x.getResponseBody();
        os.write(out);
        os.close();
      }
    });
    server.start();
  }

  @After
  public void tearDown() {
    server.stop(0);
  }

  static byte[] readAll(HttpExchange x) throws IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[1024];
    for (int n; (n = x.getRequestBody().read(buf)) > 0; ) b.write(buf, 0, n);
    return b.toByteArray();
  }

  String gateway() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  @Test
  public void exchangesTheCodeForACredential() throws Exception {
    Credential c = Enrollment.enroll(new Enrollment.Link(gateway(), "ABCDE-FGHJK"), "Pixel 8", "pixel-8");
    assertEquals(12, c.agentId);
    assertEquals(3, c.deviceId);
    assertEquals("Agent 12.s3cr3t", c.authorization());
    String[] sent = body.get().split(" (?=POST)");
    JsonNode json = new ObjectMapper().readTree(sent[0]);
    assertEquals("ABCDE-FGHJK", json.get("code").asText());
    assertEquals("android", json.get("platform").asText());
    assertEquals("Pixel 8", json.get("name").asText());
    assertEquals("POST application/json", sent[1]);
    ProtocolConformanceTest.load();
    assertTrue(ProtocolConformanceTest.validate("EnrollBody", json).isEmpty());
  }

  @Test
  public void aRefusedCodeIsRefused() throws Exception {
    status = 401;
    reply = "{\"error\":{\"code\":\"PP_E_UNAUTHORIZED\",\"message\":\"unknown, used or expired enrollment code\"}}";
    try {
      Enrollment.enroll(new Enrollment.Link(gateway(), "WRONG-CODE0"), null, null);
      throw new AssertionError("expected a refusal");
    } catch (Enrollment.RefusedException e) {
      assertEquals(401, e.status);
      assertTrue(e.getMessage(), e.getMessage().contains("PP_E_UNAUTHORIZED"));
    }
  }

  @Test
  public void aBrokenGatewayIsAnErrorNotARefusal() throws Exception {
    status = 503;
    reply = "busy";
    try {
      Enrollment.enroll(new Enrollment.Link(gateway(), "ABCDE-FGHJK"), null, null);
      throw new AssertionError("expected an error");
    } catch (Enrollment.RefusedException e) {
      throw new AssertionError("503 is not a refusal");
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("HTTP 503"));
    }
  }
}
