package com.packetpilot.agent.core;

import java.io.IOException;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The agent's identity at its gateway: what enrollment returned. The secret is only ever sent in
 * the Authorization header; toString() leaves it out so it cannot end up in a log.
 */
public final class Credential {
  static final String FILE = "credential.json";

  public final String gateway;
  public final long agentId;
  /** -1 when the gateway did not bind the agent to a device. */
  public final long deviceId;
  private final String secret;

  public Credential(String gateway, long agentId, long deviceId, String secret) {
    this.gateway = stripSlashes(gateway);
    this.agentId = agentId;
    this.deviceId = deviceId;
    this.secret = secret;
  }

  /** {@code Agent <agentId>.<secret>} */
  public String authorization() {
    return "Agent " + agentId + "." + secret;
  }

  @Override
  public String toString() {
    return "Credential{gateway=" + gateway + ", agentId=" + agentId + ", deviceId=" + deviceId + "}";
  }

  public static Credential load(StateDir state) throws IOException {
    String text = state.read(FILE);
    if (text == null) return null;
    try {
      JSONObject o = new JSONObject(text);
      return new Credential(o.getString("gateway"), o.getLong("agentId"), o.optLong("deviceId", -1),
          o.getString("secret"));
    } catch (JSONException e) {
      throw new IOException("credential file is damaged: enroll again", e);
    }
  }

  public void save(StateDir state) throws IOException {
    try {
      JSONObject o = new JSONObject();
      o.put("gateway", gateway);
      o.put("agentId", agentId);
      o.put("deviceId", deviceId);
      o.put("secret", secret);
      state.write(FILE, o.toString());
    } catch (JSONException e) {
      throw new IOException(e);
    }
  }

  public static void forget(StateDir state) {
    state.delete(FILE);
  }

  static String stripSlashes(String url) {
    String s = url;
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return s;
  }
}
