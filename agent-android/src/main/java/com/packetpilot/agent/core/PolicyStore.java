package com.packetpilot.agent.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * The gateway's last policy for this phone, kept on disk so blocks hold while the gateway is
 * unreachable and after a reboot. Package names, sorted, without duplicates or blanks.
 */
public final class PolicyStore {
  static final String FILE = "policy.json";

  private final StateDir state;
  private List<String> blocked = Collections.emptyList();
  private long receivedAt = -1;

  public PolicyStore(StateDir state) {
    this.state = state;
  }

  /** Reads the stored policy; a missing or damaged file means nothing is blocked. */
  public PolicyStore load() {
    try {
      String text = state.read(FILE);
      if (text != null) {
        JSONObject o = new JSONObject(text);
        JSONArray a = o.getJSONArray("blockedApps");
        List<String> list = new ArrayList<>();
        for (int i = 0; i < a.length(); i++) list.add(a.getString(i));
        blocked = normalize(list);
        receivedAt = o.optLong("receivedAt", -1);
      }
    } catch (IOException | JSONException e) {
      blocked = Collections.emptyList();
      receivedAt = -1;
    }
    return this;
  }

  public List<String> blocked() {
    return blocked;
  }

  public long receivedAt() {
    return receivedAt;
  }

  /** Stores a new policy; true if the set of blocked apps changed. */
  public boolean save(Collection<String> blockedApps, long now) throws IOException {
    List<String> next = normalize(blockedApps);
    boolean changed = !next.equals(blocked);
    try {
      JSONObject o = new JSONObject();
      o.put("blockedApps", new JSONArray(next));
      o.put("receivedAt", now);
      state.write(FILE, o.toString());
    } catch (JSONException e) {
      throw new IOException(e);
    }
    blocked = next;
    receivedAt = now;
    return changed;
  }

  /** Forgets the policy (the agent was revoked). */
  public void clear() {
    state.delete(FILE);
    blocked = Collections.emptyList();
    receivedAt = -1;
  }

  static List<String> normalize(Collection<String> apps) {
    TreeSet<String> set = new TreeSet<>();
    for (String a : apps) {
      if (a == null) continue;
      String t = a.trim();
      if (!t.isEmpty()) set.add(t);
    }
    return Collections.unmodifiableList(new ArrayList<>(set));
  }
}
