package com.packetpilot.agent.sim;

import com.packetpilot.agent.core.AgentCore;
import com.packetpilot.agent.core.AgentEvents;
import com.packetpilot.agent.core.AppTotals;
import com.packetpilot.agent.core.Clock;
import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.Enrollment;
import com.packetpilot.agent.core.JavaWebSocketTransport;
import com.packetpilot.agent.core.Messages;
import com.packetpilot.agent.core.Periods;
import com.packetpilot.agent.core.StateDir;
import com.packetpilot.agent.core.UsageLedger;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.json.JSONObject;

/**
 * The app's core on the JVM, for lab tests against a real gateway: enrolls (or reuses the
 * credential in --state-dir), connects, reports the scripted counters (ScriptedStatsSource) and
 * applies policies to a pretend VPN. One line per event on stdout, "EVENT key=value … at=TIME".
 *
 * <pre>
 * java -cp "target/classes:$(cat target/sim.classpath)" com.packetpilot.agent.sim.SimulatedPhone \
 *   --gateway http://10.0.0.1:8080 --enroll ABCDE-FGHJK --state-dir DIR --script FILE [--report-interval-ms 1000]
 * </pre>
 *
 * Exit status: 143 after SIGTERM (a last "stopped" line), 2 bad arguments, 3 refused (code or
 * credential), 4 enrollment failed. See docs/android-agent.md.
 */
public final class SimulatedPhone {
  private static final PrintStream OUT = System.out;

  private SimulatedPhone() {}

  public static void main(String[] args) throws Exception {
    String gateway = null;
    String code = null;
    String stateDir = null;
    String script = null;
    String name = "simulated-phone";
    long interval = 1000;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null) usage("missing value for " + a);
      switch (a) {
        case "--gateway": gateway = v; break;
        case "--enroll": code = v; break;
        case "--state-dir": stateDir = v; break;
        case "--script": script = v; break;
        case "--name": name = v; break;
        case "--report-interval-ms": interval = Long.parseLong(v); break;
        default: usage("unknown option " + a);
      }
      i++;
    }
    if (stateDir == null || script == null) usage("--state-dir and --script are required");
    StateDir state = new StateDir(new File(stateDir));
    Credential credential = Credential.load(state);
    if (credential == null || (code != null && gateway != null && !gateway.replaceAll("/+$", "").equals(credential.gateway))) {
      if (gateway == null || code == null) usage("not enrolled yet: --gateway and --enroll are required");
      try {
        credential = Enrollment.enroll(new Enrollment.Link(gateway, code), name, name);
      } catch (Enrollment.RefusedException e) {
        line("refused", "enroll", "status=" + e.status, "message=" + quote(e.getMessage()));
        System.exit(3);
        return;
      } catch (IOException e) {
        line("enroll-failed", "message=" + quote(String.valueOf(e.getMessage())));
        System.exit(4);
        return;
      }
      credential.save(state);
      line("enrolled", "agentId=" + credential.agentId, "deviceId=" + id(credential.deviceId));
    } else {
      line("credential", "agentId=" + credential.agentId, "deviceId=" + id(credential.deviceId));
    }

    final ScriptedStatsSource stats = new ScriptedStatsSource(Paths.get(script), Clock.SYSTEM);
    final CountDownLatch refused = new CountDownLatch(1);
    AgentEvents events = new AgentEvents() {
      private List<String> vpn = Collections.emptyList();

      @Override public void connecting(String url) {
        line("connecting", "url=" + url);
      }

      @Override public void connected() {
        line("connected");
      }

      @Override public void welcomed(long agentId, long deviceId, int heartbeatSeconds) {
        line("welcome", "agentId=" + agentId, "deviceId=" + id(deviceId), "heartbeatSeconds=" + heartbeatSeconds);
      }

      @Override public void policy(List<String> blockedApps, boolean changed, boolean fromGateway) {
        line("policy", "blocked=" + list(blockedApps), "changed=" + changed, "source=" + (fromGateway ? "gateway" : "stored"));
        // What BlockVpnService would do: capture the blocked apps that are "installed".
        List<String> apps = new ArrayList<>();
        for (String p : blockedApps) if (stats.packages().contains(p)) apps.add(p);
        if (!apps.equals(vpn)) {
          vpn = apps;
          if (apps.isEmpty()) line("vpn", "state=down");
          else line("vpn", "state=up", "allowedApps=" + list(apps), "routes=[0.0.0.0/0,::/0]");
        }
      }

      @Override public void reportSent(UsageLedger.Report r) {
        StringBuilder apps = new StringBuilder("[");
        for (AppTotals t : r.apps) {
          if (apps.length() > 1) apps.append(',');
          apps.append(t.pkg).append(':').append(t.get(AppTotals.WIFI_RX)).append('/').append(t.get(AppTotals.WIFI_TX))
              .append('/').append(t.get(AppTotals.MOBILE_RX)).append('/').append(t.get(AppTotals.MOBILE_TX));
        }
        apps.append(']');
        line("report", "seq=" + r.seq, "from=" + Periods.iso(r.from), "to=" + Periods.iso(r.to), "apps=" + apps);
      }

      @Override public void acked(long seq, int rows) {
        line("ack", "seq=" + seq, "rows=" + rows);
      }

      @Override public void gatewayError(String message, long seq) {
        line("error", "seq=" + (seq < 0 ? "-" : String.valueOf(seq)), "message=" + quote(message));
      }

      @Override public void disconnected(int code, String reason, long retryInMs) {
        line("disconnected", "code=" + code, "retryInMs=" + retryInMs, "reason=" + quote(reason));
      }

      @Override public void refused(String reason) {
        line("refused", reason);
        refused.countDown();
      }

      @Override public void statsUnavailable(String reason) {
        line("stats-unavailable", "reason=" + quote(reason));
      }

      @Override public void problem(String what, Exception e) {
        line("problem", "what=" + quote(what), "error=" + quote(e == null ? "" : String.valueOf(e.getMessage())));
      }
    };

    final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    AgentCore.Options options = new AgentCore.Options();
    options.reportIntervalMs = interval;
    options.resendAfterMs = Math.max(5000, 5 * interval);
    final String hostname = name;
    AgentCore.HelloSource hello = new AgentCore.HelloSource() {
      @Override
      public Messages.Hello hello() {
        return new Messages.Hello("sim 0.1.0", "Android 14 (simulated)", hostname,
            Collections.<Messages.Interface>emptyList(), "enforced");
      }
    };
    final AgentCore core = new AgentCore(state, credential, stats, JavaWebSocketTransport.FACTORY, hello, events,
        Clock.SYSTEM, loop, options, new SecureRandom());
    Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
      @Override
      public void run() {
        core.stop();
        loop.shutdown();
        try {
          loop.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        line("stopped");
      }
    }));
    core.start();
    refused.await();
    loop.shutdown();
    loop.awaitTermination(2, TimeUnit.SECONDS);
    Runtime.getRuntime().halt(3);
  }

  static synchronized void line(String event, String... fields) {
    StringBuilder s = new StringBuilder(event);
    for (String f : fields) s.append(' ').append(f);
    s.append(" at=").append(Periods.iso(System.currentTimeMillis()));
    OUT.println(s);
    OUT.flush();
  }

  static String id(long id) {
    return id < 0 ? "null" : String.valueOf(id);
  }

  static String list(List<String> items) {
    StringBuilder s = new StringBuilder("[");
    for (String i : items) s.append(s.length() > 1 ? "," : "").append(i);
    return s.append(']').toString();
  }

  /** A JSON string literal: spaces and quotes inside stay one field. */
  static String quote(String s) {
    return JSONObject.quote(s == null ? "" : s);
  }

  private static void usage(String problem) {
    System.err.println("simulated phone: " + problem);
    System.err.println("usage: SimulatedPhone --state-dir DIR --script FILE [--gateway URL --enroll CODE]"
        + " [--name NAME] [--report-interval-ms N]");
    System.exit(2);
  }
}
