package com.packetpilot.agent.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.StateDir;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The simulated phone as the lab test runs it — its own JVM, the classpath the build writes —
 * against a stand-in gateway socket: its output lines are the contract the lab test reads.
 */
public class SimulatedPhoneTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
  final BlockingQueue<WebSocket> sockets = new LinkedBlockingQueue<>();
  volatile String authorization;
  WebSocketServer gateway;
  Process phone;
  BufferedReader out;

  @After
  public void tearDown() throws Exception {
    if (phone != null) phone.destroyForcibly();
    if (gateway != null) gateway.stop(1000);
  }

  void startGateway() throws Exception {
    gateway = new WebSocketServer(new InetSocketAddress("127.0.0.1", 0)) {
      @Override public void onOpen(WebSocket conn, ClientHandshake handshake) {
        authorization = handshake.getFieldValue("Authorization");
        conn.send("{\"type\":\"welcome\",\"agentId\":12,\"deviceId\":3,\"heartbeatSeconds\":30}");
        conn.send("{\"type\":\"policy\",\"blockedApps\":[]}");
        sockets.add(conn);
      }
      @Override public void onClose(WebSocket conn, int code, String reason, boolean remote) {}
      @Override public void onMessage(WebSocket conn, String message) {
        frames.add(message);
      }
      @Override public void onError(WebSocket conn, Exception ex) {}
      @Override public void onStart() {}
    };
    gateway.setReuseAddr(true);
    gateway.start();
    for (int i = 0; i < 100 && gateway.getPort() == 0; i++) Thread.sleep(20);
  }

  String line(String event) throws Exception {
    long deadline = System.currentTimeMillis() + 15_000;
    while (System.currentTimeMillis() < deadline) {
      String l = out.readLine();
      if (l == null) throw new AssertionError("the simulated phone exited before '" + event + "'");
      assertTrue("every line ends with its time: " + l, l.matches(".* at=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
      if (l.startsWith(event + " ") || l.equals(event)) return l;
    }
    throw new AssertionError("no '" + event + "' line");
  }

  String frame(String type) throws Exception {
    while (true) {
      String f = frames.poll(10, TimeUnit.SECONDS);
      if (f == null) throw new AssertionError("no " + type + " frame");
      if (f.contains("\"type\":\"" + type + "\"")) return f;
    }
  }

  static String field(String line, String name) {
    Matcher m = Pattern.compile("(?:^| )" + name + "=(\\S+)").matcher(line);
    if (!m.find()) throw new AssertionError(name + " in " + line);
    return m.group(1);
  }

  @Test
  public void reportsTheScriptedAppsTakesPoliciesAndStopsWhenRefused() throws Exception {
    startGateway();
    File state = tmp.newFolder("state");
    new Credential("http://127.0.0.1:" + gateway.getPort(), 12, 3, "s3cr3t").save(new StateDir(state));
    File script = tmp.newFile("apps.txt");
    Files.write(script.toPath(), Arrays.asList(
        "# two apps, totals of the current bucket",
        "app com.example.video 5000000 200000 0 0 Video Player",
        "app com.example.chat 300000 40000 1000 500 Chat"), StandardCharsets.UTF_8);
    String classpath = System.getProperty("packetpilot.classes") + File.pathSeparator
        + new String(Files.readAllBytes(new File(System.getProperty("packetpilot.simClasspathFile")).toPath()),
            StandardCharsets.UTF_8).trim();
    ProcessBuilder pb = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp", classpath,
        "com.packetpilot.agent.sim.SimulatedPhone", "--state-dir", state.getPath(), "--script", script.getPath(),
        "--report-interval-ms", "200");
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    phone = pb.start();
    out = new BufferedReader(new InputStreamReader(phone.getInputStream(), StandardCharsets.UTF_8));

    assertEquals("12", field(line("credential"), "agentId"));
    assertEquals("[]", field(line("policy"), "blocked"));
    line("connected");
    assertEquals("Agent 12.s3cr3t", authorization);
    assertTrue(frame("hello").contains("\"os\":\"Android 14 (simulated)\""));
    String welcome = line("welcome");
    assertEquals("3", field(welcome, "deviceId"));
    String report = line("report");
    assertEquals("[com.example.chat:300000/40000/1000/500,com.example.video:5000000/200000/0/0]", field(report, "apps"));
    String usage = frame("appUsage");
    assertTrue(usage, usage.contains("\"label\":\"Video Player\""));
    WebSocket socket = sockets.take();
    socket.send("{\"type\":\"ack\",\"seq\":" + field(report, "seq") + "}");
    assertEquals(field(report, "seq"), field(line("ack"), "seq"));

    // the counters grow: only that app is reported again, with its new total (the script is
    // replaced atomically, so the phone never reads half of it)
    File next = tmp.newFile("apps.next");
    Files.write(next.toPath(), Arrays.asList(
        "app com.example.video 7000000 250000 0 0 Video Player",
        "app com.example.chat 300000 40000 1000 500 Chat"), StandardCharsets.UTF_8);
    Files.move(next.toPath(), script.toPath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertEquals("[com.example.video:7000000/250000/0/0]", field(line("report"), "apps"));

    socket.send("{\"type\":\"policy\",\"blockedApps\":[\"com.example.video\"]}");
    String policy = line("policy");
    assertEquals("[com.example.video]", field(policy, "blocked"));
    assertEquals("gateway", field(policy, "source"));
    assertEquals("[com.example.video]", field(line("vpn"), "allowedApps"));

    socket.close(4401, "agent revoked");
    assertEquals("code=4401", line("refused").split(" ")[1]);
    assertTrue(phone.waitFor(10, TimeUnit.SECONDS));
    assertEquals(3, phone.exitValue());
  }

  @Test
  public void badArgumentsExitWith2() throws Exception {
    String classpath = System.getProperty("packetpilot.classes");
    Process p = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(), "-cp", classpath,
        "com.packetpilot.agent.sim.SimulatedPhone", "--state-dir", tmp.getRoot().getPath()).start();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
  }
}
