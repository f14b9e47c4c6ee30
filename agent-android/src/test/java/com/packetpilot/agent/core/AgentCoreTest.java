package com.packetpilot.agent.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The core against a fake gateway socket: hello, reports and acks, policies, reconnects, refusal. */
public class AgentCoreTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  final BlockingQueue<FakeTransport> sockets = new LinkedBlockingQueue<>();
  final AtomicReference<List<AppTotals>> counters = new AtomicReference<>();
  final long period = Periods.bucketStart(System.currentTimeMillis());
  ScheduledExecutorService loop;
  StateDir state;
  AgentCore core;

  static final ObjectMapper JSON = new ObjectMapper();

  /** One connection: what the agent sent, and the gateway's side of it. */
  static final class FakeTransport implements Transport {
    final URI uri;
    final Map<String, String> headers;
    final Listener listener;
    final BlockingQueue<JsonNode> sent = new LinkedBlockingQueue<>();
    volatile boolean open;

    FakeTransport(URI uri, Map<String, String> headers, Listener listener) {
      this.uri = uri;
      this.headers = headers;
      this.listener = listener;
    }

    @Override
    public boolean send(String text) {
      if (!open) return false;
      try {
        sent.add(JSON.readTree(text));
      } catch (java.io.IOException e) {
        throw new AssertionError("not JSON: " + text, e);
      }
      return true;
    }

    @Override
    public void close(int code, String reason) {
      open = false;
    }

    void opens() {
      open = true;
      listener.onOpen();
    }

    void says(String json) {
      listener.onMessage(json);
    }

    void drops(int code, int status) {
      open = false;
      listener.onClosed(code, "", status);
    }

    JsonNode next(String type) throws InterruptedException {
      while (true) {
        JsonNode m = sent.poll(5, TimeUnit.SECONDS);
        if (m == null) throw new AssertionError("no " + type + " sent");
        if (m.get("type").asText().equals(type)) return m;
      }
    }
  }

  @Before
  public void setUp() throws Exception {
    loop = Executors.newSingleThreadScheduledExecutor();
    state = new StateDir(tmp.getRoot());
    counters.set(Arrays.asList(
        new AppTotals(period, period + Periods.BUCKET_MS, "com.video", "Video", 5000, 200, 0, 0),
        new AppTotals(period, period + Periods.BUCKET_MS, "com.chat", "Chat", 300, 40, 10, 5)));
  }

  @After
  public void tearDown() throws Exception {
    if (core != null) core.stop();
    loop.shutdown();
    loop.awaitTermination(5, TimeUnit.SECONDS);
  }

  void start(long reportIntervalMs) {
    AgentCore.Options o = new AgentCore.Options();
    o.reportIntervalMs = reportIntervalMs;
    o.backoffInitialMs = 20;
    o.backoffMaxMs = 100;
    StatsSource stats = new StatsSource() {
      @Override
      public List<AppTotals> read(long fromMs, long toMs) {
        return counters.get();
      }
    };
    Transport.Factory factory = new Transport.Factory() {
      @Override
      public Transport open(URI uri, Map<String, String> headers, Transport.Listener listener) {
        FakeTransport t = new FakeTransport(uri, headers, listener);
        sockets.add(t);
        return t;
      }
    };
    AgentCore.HelloSource hello = new AgentCore.HelloSource() {
      @Override
      public Messages.Hello hello() {
        return new Messages.Hello("test", "Android 14", "phone", Collections.<Messages.Interface>emptyList(), "enforced");
      }
    };
    AgentEvents recorder = new AgentEvents.Adapter() {
      @Override public void policy(List<String> blockedApps, boolean changed, boolean fromGateway) {
        events.add("policy " + blockedApps + " changed=" + changed + " gateway=" + fromGateway);
      }
      @Override public void acked(long seq, int rows) {
        events.add("ack " + seq + " rows=" + rows);
      }
      @Override public void refused(String reason) {
        events.add("refused " + reason);
      }
      @Override public void disconnected(int code, String reason, long retryInMs) {
        events.add("disconnected " + code);
      }
    };
    core = new AgentCore(state, new Credential("http://gw:8080/", 12, 3, "s3cr3t"), stats, factory, hello, recorder,
        Clock.SYSTEM, loop, o, new Random(7));
    core.start();
  }

  String event(String prefix) throws InterruptedException {
    while (true) {
      String e = events.poll(5, TimeUnit.SECONDS);
      if (e == null) throw new AssertionError("no event " + prefix);
      if (e.startsWith(prefix)) return e;
    }
  }

  FakeTransport welcomed() throws InterruptedException {
    FakeTransport t = sockets.poll(5, TimeUnit.SECONDS);
    assertEquals("ws://gw:8080/api/v1/agent", t.uri.toString());
    assertEquals("Agent 12.s3cr3t", t.headers.get("Authorization"));
    t.opens();
    t.next("hello");
    t.says("{\"type\":\"welcome\",\"agentId\":12,\"deviceId\":3,\"heartbeatSeconds\":1}");
    return t;
  }

  static List<String> apps(JsonNode usage) {
    List<String> out = new ArrayList<>();
    for (JsonNode a : usage.get("apps")) {
      out.add(a.get("package").asText() + ":" + a.get("wifiRxBytes").asLong() + "/" + a.get("wifiTxBytes").asLong());
    }
    return out;
  }

  @Test
  public void helloThenReportsAckedThenHeartbeats() throws Exception {
    start(60_000);
    assertEquals("policy [] changed=false gateway=false", event("policy"));
    FakeTransport t = welcomed();
    JsonNode usage = t.next("appUsage");
    assertEquals(Arrays.asList("com.chat:300/40", "com.video:5000/200"), apps(usage));
    assertEquals(Periods.iso(period), usage.get("period").get("from").asText());
    t.says("{\"type\":\"ack\",\"seq\":" + usage.get("seq").asLong() + "}");
    assertEquals("ack " + usage.get("seq").asLong() + " rows=2", event("ack"));
    t.next("heartbeat");
    assertEquals(0, UsageLedger.fromJson(state.read(AgentCore.LEDGER_FILE)).unsettled());
  }

  @Test
  public void onlyChangesAreReportedAtTheNextPoll() throws Exception {
    start(100);
    FakeTransport t = welcomed();
    JsonNode first = t.next("appUsage");
    t.says("{\"type\":\"ack\",\"seq\":" + first.get("seq").asLong() + "}");
    event("ack");
    counters.set(Arrays.asList(
        new AppTotals(period, period + Periods.BUCKET_MS, "com.video", "Video", 9000, 250, 0, 0),
        new AppTotals(period, period + Periods.BUCKET_MS, "com.chat", "Chat", 300, 40, 10, 5)));
    JsonNode second = t.next("appUsage");
    assertEquals(Arrays.asList("com.video:9000/250"), apps(second));
    assertTrue(second.get("seq").asLong() > first.get("seq").asLong());
  }

  @Test
  public void policyIsStoredAndHandedOverAndKeptAcrossARestart() throws Exception {
    start(60_000);
    FakeTransport t = welcomed();
    t.says("{\"type\":\"policy\",\"blockedApps\":[\"com.video\"]}");
    assertEquals("policy [com.video] changed=true gateway=true", event("policy [com"));
    core.stop();
    events.clear();
    start(60_000);
    assertEquals("policy [com.video] changed=false gateway=false", event("policy"));
  }

  @Test
  public void reconnectsWithBackoffAndResendsWhatWasNotAcknowledged() throws Exception {
    start(60_000);
    FakeTransport t = welcomed();
    JsonNode lost = t.next("appUsage");
    t.drops(1006, -1);
    event("disconnected 1006");
    FakeTransport again = welcomed();
    JsonNode resent = again.next("appUsage");
    assertEquals(apps(lost), apps(resent));
    assertTrue(resent.get("seq").asLong() > lost.get("seq").asLong());
    // an ack of the lost connection's report, should one arrive late, settles nothing
    again.says("{\"type\":\"ack\",\"seq\":" + lost.get("seq").asLong() + "}");
    assertEquals("ack " + lost.get("seq").asLong() + " rows=0", event("ack"));
  }

  @Test
  public void aGatewayErrorAboutAReportSendsItAgain() throws Exception {
    start(100);
    FakeTransport t = welcomed();
    JsonNode usage = t.next("appUsage");
    t.says("{\"type\":\"error\",\"message\":\"appUsage not kept; send it again later\",\"seq\":" + usage.get("seq").asLong() + "}");
    JsonNode again = t.next("appUsage");
    assertEquals(apps(usage), apps(again));
  }

  @Test
  public void revokedMeansRefusedNoReconnectAndBlocksLifted() throws Exception {
    state.write(PolicyStore.FILE, "{\"blockedApps\":[\"com.video\"],\"receivedAt\":1}");
    start(60_000);
    assertEquals("policy [com.video] changed=false gateway=false", event("policy"));
    FakeTransport t = welcomed();
    t.drops(AgentCore.CLOSE_REVOKED, -1);
    assertEquals("refused code=4401", event("refused"));
    assertEquals("policy [] changed=true gateway=false", event("policy"));
    assertNull("no reconnect", sockets.poll(300, TimeUnit.MILLISECONDS));
    assertEquals(Collections.emptyList(), new PolicyStore(state).load().blocked());
  }

  @Test
  public void anUpgradeRefusedWith401IsRefusedToo() throws Exception {
    start(60_000);
    FakeTransport t = sockets.poll(5, TimeUnit.SECONDS);
    t.drops(1002, 401);
    assertEquals("refused status=401", event("refused"));
  }

  @Test
  public void garbageFromTheGatewayIsIgnored() throws Exception {
    start(60_000);
    FakeTransport t = welcomed();
    t.says("not json");
    t.says("{\"type\":\"surprise\"}");
    t.says("{\"type\":\"policy\",\"blockedApps\":[\"com.chat\"]}");
    assertEquals("policy [com.chat] changed=true gateway=true", event("policy [com"));
  }
}
