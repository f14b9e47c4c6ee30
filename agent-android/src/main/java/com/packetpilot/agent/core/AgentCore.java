package com.packetpilot.agent.core;

import java.io.IOException;
import java.net.URI;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The agent without the platform: connects to the gateway's agent socket with the stored
 * credential (reconnecting with back-off), says hello and heartbeats, reads the platform's per-app
 * counters every report interval and sends what changed as {@code appUsage} (see UsageLedger),
 * stores and hands over every policy. The Android service and the simulated phone both run this.
 *
 * Everything runs on one loop thread (the executor given); transport callbacks are posted to it.
 * It sets no alarms: its timers only run while the phone is awake anyway.
 */
public final class AgentCore {
  public static final String LEDGER_FILE = "usage-ledger.json";
  /** protocol AGENT_CLOSE.revoked */
  public static final int CLOSE_REVOKED = 4401;

  public static final class Options {
    /** How often the platform's counters are read and changes reported. */
    public long reportIntervalMs = 15 * 60_000L;
    /** A report not acknowledged this long is sent again (with its current totals). */
    public long resendAfterMs = 60_000L;
    /** How long after a period ends its counters may still grow (the platform records late). */
    public long settleMs = 60 * 60_000L;
    /** How far back a read reaches after the agent was away. */
    public long lookbackMs = 24 * 3600_000L;
    /** Totals the gateway never took within this long are dropped. */
    public long keepMs = 7 * 24 * 3600_000L;
    public long backoffInitialMs = 1000;
    public long backoffMaxMs = 5 * 60_000L;
  }

  /** What the agent says about itself in hello, asked at every connect. */
  public interface HelloSource {
    Messages.Hello hello();
  }

  private final StateDir state;
  private final Credential credential;
  private final StatsSource stats;
  private final Transport.Factory transports;
  private final HelloSource helloSource;
  private final AgentEvents events;
  private final Clock clock;
  private final ScheduledExecutorService loop;
  private final Options options;
  private final Backoff backoff;
  private final PolicyStore policy;
  private UsageLedger ledger = new UsageLedger();

  private Transport transport;
  private int generation;
  private boolean welcomed;
  private boolean stopped;
  private boolean refused;
  private ScheduledFuture<?> heartbeat;
  private ScheduledFuture<?> reconnect;
  private ScheduledFuture<?> poller;

  public AgentCore(StateDir state, Credential credential, StatsSource stats, Transport.Factory transports,
      HelloSource helloSource, AgentEvents events, Clock clock, ScheduledExecutorService loop, Options options,
      Random random) {
    this.state = state;
    this.credential = credential;
    this.stats = stats;
    this.transports = transports;
    this.helloSource = helloSource;
    this.events = events;
    this.clock = clock;
    this.loop = loop;
    this.options = options;
    this.backoff = new Backoff(options.backoffInitialMs, options.backoffMaxMs, random);
    this.policy = new PolicyStore(state);
  }

  /** The agent socket's URL for a gateway base URL: http → ws, https → wss. */
  public static URI socketUri(String gateway) {
    String base = Credential.stripSlashes(gateway);
    if (base.startsWith("https://")) base = "wss://" + base.substring(8);
    else if (base.startsWith("http://")) base = "ws://" + base.substring(7);
    return URI.create(base + "/api/v1/agent");
  }

  public void start() {
    post(new Runnable() {
      @Override
      public void run() {
        startNow();
      }
    });
  }

  /** Reads the counters and reports now (also done every report interval). */
  public void pollNow() {
    post(new Runnable() {
      @Override
      public void run() {
        poll();
      }
    });
  }

  public void stop() {
    post(new Runnable() {
      @Override
      public void run() {
        stopped = true;
        cancel(heartbeat);
        cancel(reconnect);
        cancel(poller);
        if (transport != null) transport.close(1000, "agent stopping");
        transport = null;
        saveLedger();
      }
    });
  }

  // -------------------------------------------------------------------------------------------

  private void startNow() {
    try {
      ledger = UsageLedger.fromJson(state.read(LEDGER_FILE));
    } catch (IOException e) {
      events.problem("read the usage ledger", e);
    }
    policy.load();
    events.policy(policy.blocked(), false, false);
    connect();
    poller = loop.scheduleWithFixedDelay(new Runnable() {
      @Override
      public void run() {
        poll();
      }
    }, 0, options.reportIntervalMs, TimeUnit.MILLISECONDS);
  }

  private void connect() {
    if (stopped || refused) return;
    final int gen = ++generation;
    URI uri = socketUri(credential.gateway);
    Map<String, String> headers = new HashMap<>();
    headers.put("Authorization", credential.authorization());
    events.connecting(uri.toString());
    transport = transports.open(uri, headers, new Transport.Listener() {
      @Override
      public void onOpen() {
        post(new Runnable() {
          @Override
          public void run() {
            if (gen == generation) opened();
          }
        });
      }

      @Override
      public void onMessage(final String text) {
        post(new Runnable() {
          @Override
          public void run() {
            if (gen == generation) received(text);
          }
        });
      }

      @Override
      public void onClosed(final int code, final String reason, final int httpStatus) {
        post(new Runnable() {
          @Override
          public void run() {
            if (gen == generation) closed(code, reason, httpStatus);
          }
        });
      }
    });
  }

  private void opened() {
    events.connected();
    transport.send(Messages.hello(helloSource.hello()));
  }

  private void received(String text) {
    Messages.Incoming m = Messages.parse(text);
    if (m.type == null) {
      events.problem("ignored a gateway message: " + m.problem, null);
      return;
    }
    switch (m.type) {
      case "welcome":
        welcomed = true;
        backoff.reset();
        cancel(heartbeat);
        heartbeat = loop.scheduleAtFixedRate(new Runnable() {
          @Override
          public void run() {
            if (welcomed && transport != null) transport.send(Messages.heartbeat(clock.now()));
          }
        }, m.heartbeatSeconds, m.heartbeatSeconds, TimeUnit.SECONDS);
        events.welcomed(m.agentId, m.deviceId, m.heartbeatSeconds);
        flush();
        break;
      case "ack":
        events.acked(m.seq, ledger.ack(m.seq));
        saveLedger();
        break;
      case "policy":
        applyPolicy(m.blockedApps);
        break;
      case "error":
        if (m.seq >= 0) ledger.failed(m.seq);
        events.gatewayError(m.message, m.seq);
        break;
      default:
        break;
    }
  }

  private void applyPolicy(List<String> blocked) {
    boolean changed;
    try {
      changed = policy.save(blocked, clock.now());
    } catch (IOException e) {
      events.problem("store the policy", e);
      changed = true;
    }
    events.policy(PolicyStore.normalize(blocked), changed, true);
  }

  private void closed(int code, String reason, int httpStatus) {
    welcomed = false;
    transport = null;
    cancel(heartbeat);
    ledger.connectionLost();
    if (stopped) return;
    if (code == CLOSE_REVOKED || httpStatus == 401) {
      refused = true;
      cancel(poller);
      boolean hadBlocks = !policy.blocked().isEmpty();
      policy.clear();
      events.refused(code == CLOSE_REVOKED ? "code=" + code : "status=" + httpStatus);
      // No longer managed by that gateway: its blocks are lifted, as uninstalling the app would.
      events.policy(Collections.<String>emptyList(), hadBlocks, false);
      return;
    }
    long delay = backoff.next();
    events.disconnected(code, reason == null ? "" : reason, delay);
    cancel(reconnect);
    reconnect = loop.schedule(new Runnable() {
      @Override
      public void run() {
        connect();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void poll() {
    if (stopped || refused) return;
    long now = clock.now();
    long start = ledger.polledAt() < 0 ? now - options.settleMs : Math.min(ledger.polledAt(), now - options.settleMs);
    start = Math.max(start, now - options.lookbackMs);
    List<AppTotals> totals;
    try {
      totals = stats.read(start, now);
    } catch (StatsSource.StatsUnavailableException e) {
      events.statsUnavailable(e.getMessage());
      return;
    } catch (RuntimeException e) {
      events.problem("read the usage counters", e);
      return;
    }
    ledger.observe(totals);
    ledger.setPolledAt(now);
    ledger.prune(Periods.bucketStart(start), now - options.keepMs);
    saveLedger();
    flush();
  }

  private void flush() {
    if (!welcomed || transport == null) return;
    for (UsageLedger.Report r : ledger.due(clock.now(), options.resendAfterMs)) {
      if (transport.send(Messages.appUsage(r))) {
        events.reportSent(r);
      } else {
        ledger.failed(r.seq);
        break;
      }
    }
    saveLedger();
  }

  private void saveLedger() {
    try {
      state.write(LEDGER_FILE, ledger.toJson());
    } catch (IOException e) {
      events.problem("save the usage ledger", e);
    }
  }

  private void post(Runnable r) {
    try {
      loop.execute(r);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the loop is shut down: the agent is gone
    }
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) f.cancel(false);
  }
}
