package com.packetpilot.agent.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The agent WebSocket messages of protocol/src/agents.ts, as JSON text: the ones the app sends
 * (hello, heartbeat, appUsage) and the ones it accepts (welcome, ack, policy, error). The Java tests
 * validate both directions against protocol/schema/agent-messages.json.
 */
public final class Messages {
  public static final int MAX_LABEL = 256;
  public static final int MAX_PACKAGE = 256;

  private Messages() {}

  /** What the agent tells about itself in hello. */
  public static final class Hello {
    public final String version;
    public final String os;
    public final String hostname;
    /** name, MAC, addresses per interface; MACs the phone hides are left out. */
    public final List<Interface> interfaces;
    /** enforced | report-only | unavailable */
    public final String blocking;

    public Hello(String version, String os, String hostname, List<Interface> interfaces, String blocking) {
      this.version = version;
      this.os = os;
      this.hostname = hostname;
      this.interfaces = interfaces;
      this.blocking = blocking;
    }
  }

  public static final class Interface {
    public final String name;
    public final String mac;
    public final List<String> addresses;

    public Interface(String name, String mac, List<String> addresses) {
      this.name = name;
      this.mac = mac;
      this.addresses = addresses;
    }
  }

  public static String hello(Hello h) {
    try {
      JSONObject o = new JSONObject();
      o.put("type", "hello");
      o.put("version", clip(h.version, 64));
      o.put("os", clip(h.os, 128));
      o.put("hostname", clip(h.hostname, 253));
      JSONArray ifs = new JSONArray();
      for (Interface i : h.interfaces) {
        if (ifs.length() == 64) break;
        JSONObject io = new JSONObject();
        io.put("name", clip(i.name, 64));
        io.put("mac", i.mac);
        JSONArray addrs = new JSONArray();
        for (String a : i.addresses) if (addrs.length() < 64) addrs.put(a);
        io.put("addresses", addrs);
        ifs.put(io);
      }
      o.put("interfaces", ifs);
      if (h.blocking != null) o.put("blocking", h.blocking);
      return o.toString();
    } catch (JSONException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String heartbeat(long now) {
    try {
      return new JSONObject().put("type", "heartbeat").put("at", Periods.iso(now)).toString();
    } catch (JSONException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String appUsage(UsageLedger.Report report) {
    try {
      JSONObject o = new JSONObject();
      o.put("type", "appUsage");
      o.put("seq", report.seq);
      o.put("period", new JSONObject().put("from", Periods.iso(report.from)).put("to", Periods.iso(report.to)));
      JSONArray apps = new JSONArray();
      for (AppTotals t : report.apps) {
        JSONObject a = new JSONObject();
        a.put("package", clip(t.pkg, MAX_PACKAGE));
        a.put("label", clip(t.label, MAX_LABEL));
        a.put("wifiRxBytes", t.get(AppTotals.WIFI_RX));
        a.put("wifiTxBytes", t.get(AppTotals.WIFI_TX));
        a.put("mobileRxBytes", t.get(AppTotals.MOBILE_RX));
        a.put("mobileTxBytes", t.get(AppTotals.MOBILE_TX));
        apps.put(a);
      }
      o.put("apps", apps);
      return o.toString();
    } catch (JSONException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A message from the gateway, or why it is not one. */
  public static final class Incoming {
    /** welcome | ack | policy | error; null when the frame is not a message the app knows. */
    public final String type;
    public final String problem;
    public final long agentId;
    public final long deviceId;
    public final int heartbeatSeconds;
    public final long seq;
    public final List<String> blockedApps;
    public final String message;

    Incoming(String type, String problem, long agentId, long deviceId, int heartbeatSeconds, long seq,
        List<String> blockedApps, String message) {
      this.type = type;
      this.problem = problem;
      this.agentId = agentId;
      this.deviceId = deviceId;
      this.heartbeatSeconds = heartbeatSeconds;
      this.seq = seq;
      this.blockedApps = blockedApps;
      this.message = message;
    }

    static Incoming invalid(String why) {
      return new Incoming(null, why, -1, -1, 0, -1, Collections.<String>emptyList(), null);
    }
  }

  /** Parses a gateway frame; never throws. */
  public static Incoming parse(String text) {
    JSONObject o;
    try {
      o = new JSONObject(text);
    } catch (JSONException | RuntimeException e) {
      return Incoming.invalid("not a JSON object");
    }
    String type = o.optString("type", "");
    try {
      switch (type) {
        case "welcome": {
          int hb = o.getInt("heartbeatSeconds");
          if (hb < 1) return Incoming.invalid("welcome: heartbeatSeconds below 1");
          long device = o.isNull("deviceId") ? -1 : o.getLong("deviceId");
          return new Incoming(type, null, o.getLong("agentId"), device, hb, -1, Collections.<String>emptyList(), null);
        }
        case "ack":
          return new Incoming(type, null, -1, -1, 0, o.getLong("seq"), Collections.<String>emptyList(), null);
        case "policy": {
          JSONArray a = o.getJSONArray("blockedApps");
          List<String> apps = new ArrayList<>(a.length());
          for (int i = 0; i < a.length(); i++) apps.add(a.getString(i));
          return new Incoming(type, null, -1, -1, 0, -1, apps, null);
        }
        case "error": {
          long seq = o.has("seq") && !o.isNull("seq") ? o.getLong("seq") : -1;
          return new Incoming(type, null, -1, -1, 0, seq, Collections.<String>emptyList(), o.optString("message", ""));
        }
        default:
          return Incoming.invalid("unknown message type '" + clip(type, 32) + "'");
      }
    } catch (JSONException e) {
      return Incoming.invalid(type + ": " + e.getMessage());
    }
  }

  static String clip(String s, int max) {
    if (s == null) return "";
    return s.length() <= max ? s : s.substring(0, max);
  }
}
