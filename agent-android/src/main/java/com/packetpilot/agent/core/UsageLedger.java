package com.packetpilot.agent.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * Turns the platform's per-app counters into {@code appUsage} reports, with the gateway's set
 * semantics: a report carries a period's totals so far and replaces any earlier report of the same
 * package and period start. So the ledger only has to make sure that, for every (period, package),
 * the gateway ends up with the latest total, which never goes down:
 *
 * <ul>
 *   <li>a row is sent when its total differs from what the gateway acknowledged, and again (with a
 *       new seq, always the current total) after a reconnect, an error or a missing ack — a repeat is
 *       harmless, it replaces the same row with the same numbers;
 *   <li>an ack only settles the rows that were sent with that seq and have not changed since, so a
 *       late ack of an older report never hides a newer total;
 *   <li>a counter that goes backwards (the platform lost its unsaved counts when the phone crashed or
 *       lost power; a clean reboot loses nothing) keeps the drop as a carry: the reported total is the
 *       platform's count plus everything it lost, so the gateway's numbers never shrink and the bytes
 *       counted after the drop are added, not hidden;
 *   <li>the ledger is saved to the state directory, so an app restart or a reboot resends only what
 *       was never acknowledged.
 * </ul>
 *
 * Not thread-safe: the agent's loop thread owns it.
 */
public final class UsageLedger {
  /** Most apps in one report (the protocol's maxItems). */
  public static final int MAX_APPS_PER_REPORT = 1000;

  /** One (period, package): what the platform said, the carry, what was sent and acknowledged. */
  static final class Row {
    final long from;
    final long to;
    final String pkg;
    String label;
    final long[] lastRaw = new long[4];
    final long[] carry = new long[4];
    final long[] acked = new long[4];
    long inflightSeq = -1;
    long[] inflight;
    long sentAt;

    Row(long from, long to, String pkg, String label) {
      this.from = from;
      this.to = to;
      this.pkg = pkg;
      this.label = label;
    }

    long value(int i) {
      return lastRaw[i] + carry[i];
    }

    long[] values() {
      long[] v = new long[4];
      for (int i = 0; i < 4; i++) v[i] = value(i);
      return v;
    }

    boolean settled() {
      return Arrays.equals(values(), acked);
    }
  }

  /** A report ready to send. */
  public static final class Report {
    public final long seq;
    public final long from;
    public final long to;
    public final List<AppTotals> apps;

    Report(long seq, long from, long to, List<AppTotals> apps) {
      this.seq = seq;
      this.from = from;
      this.to = to;
      this.apps = apps;
    }
  }

  private final TreeMap<String, Row> rows = new TreeMap<>();
  private long nextSeq = 1;
  private long drops;
  private long polledAt = -1;

  private static String key(long from, String pkg) {
    // zero-padded so the map iterates oldest period first
    return String.format(java.util.Locale.ROOT, "%016x|%s", from, pkg);
  }

  /** Takes the platform's current totals; returns how many rows changed. */
  public int observe(List<AppTotals> snapshot) {
    int changed = 0;
    for (AppTotals t : snapshot) {
      String k = key(t.periodFrom, t.pkg);
      Row row = rows.get(k);
      if (row == null) {
        row = new Row(t.periodFrom, t.periodTo, t.pkg, t.label);
        rows.put(k, row);
      }
      if (!t.label.isEmpty()) row.label = t.label;
      boolean rowChanged = false;
      for (int i = 0; i < 4; i++) {
        long raw = t.get(i);
        if (raw == row.lastRaw[i]) continue;
        if (raw < row.lastRaw[i]) {
          row.carry[i] += row.lastRaw[i] - raw;
          drops++;
        }
        row.lastRaw[i] = raw;
        rowChanged = true;
      }
      if (rowChanged) changed++;
    }
    return changed;
  }

  /**
   * The reports to send now: every row whose total the gateway has not acknowledged and that is not
   * waiting for an ack of that same total (one sent within {@code resendAfterMs} ago). Marks them
   * sent with their seq.
   */
  public List<Report> due(long now, long resendAfterMs) {
    List<Report> out = new ArrayList<>();
    long from = -1;
    List<Row> batch = new ArrayList<>();
    for (Row row : rows.values()) {
      if (row.settled()) continue;
      long[] v = row.values();
      if (row.inflightSeq >= 0 && Arrays.equals(v, row.inflight) && now - row.sentAt < resendAfterMs) continue;
      if (row.from != from || batch.size() == MAX_APPS_PER_REPORT) {
        flushBatch(batch, out, now);
        from = row.from;
      }
      batch.add(row);
    }
    flushBatch(batch, out, now);
    return out;
  }

  private void flushBatch(List<Row> batch, List<Report> out, long now) {
    if (batch.isEmpty()) return;
    long seq = nextSeq++;
    List<AppTotals> apps = new ArrayList<>(batch.size());
    Row first = batch.get(0);
    for (Row row : batch) {
      long[] v = row.values();
      row.inflightSeq = seq;
      row.inflight = v;
      row.sentAt = now;
      apps.add(new AppTotals(row.from, row.to, row.pkg, row.label, v[0], v[1], v[2], v[3]));
    }
    out.add(new Report(seq, first.from, first.to, apps));
    batch.clear();
  }

  /** The gateway kept report {@code seq}: its rows are settled (those not changed since). */
  public int ack(long seq) {
    int n = 0;
    for (Row row : rows.values()) {
      if (row.inflightSeq != seq) continue;
      System.arraycopy(row.inflight, 0, row.acked, 0, 4);
      row.inflightSeq = -1;
      row.inflight = null;
      n++;
    }
    return n;
  }

  /** The gateway did not keep report {@code seq}: its rows go out again with the next flush. */
  public void failed(long seq) {
    for (Row row : rows.values()) {
      if (row.inflightSeq == seq) {
        row.inflightSeq = -1;
        row.inflight = null;
      }
    }
  }

  /** The socket closed: nothing in flight will be acknowledged any more. */
  public void connectionLost() {
    for (Row row : rows.values()) {
      row.inflightSeq = -1;
      row.inflight = null;
    }
  }

  /**
   * Forgets settled rows of periods that ended before {@code settledBefore}, and every row of
   * periods that ended before {@code giveUpBefore} (what the gateway never took by then is dropped).
   */
  public int prune(long settledBefore, long giveUpBefore) {
    int n = 0;
    for (Iterator<Map.Entry<String, Row>> it = rows.entrySet().iterator(); it.hasNext(); ) {
      Row row = it.next().getValue();
      boolean old = row.to <= settledBefore && row.settled() && row.inflightSeq < 0;
      if (old || row.to <= giveUpBefore) {
        it.remove();
        n++;
      }
    }
    return n;
  }

  /** Rows whose latest total the gateway has not acknowledged. */
  public int unsettled() {
    int n = 0;
    for (Row row : rows.values()) if (!row.settled()) n++;
    return n;
  }

  public int size() {
    return rows.size();
  }

  /** How often a counter went backwards (carried) since this ledger was loaded. */
  public long drops() {
    return drops;
  }

  /** The total the ledger holds for a package and period start (for tests and the status screen). */
  public long[] total(long periodFrom, String pkg) {
    Row row = rows.get(key(periodFrom, pkg));
    return row == null ? null : row.values();
  }

  // -------------------------------------------------------------------------------------------
  // persistence

  public String toJson() {
    try {
      JSONObject o = new JSONObject();
      o.put("version", 1);
      o.put("nextSeq", nextSeq);
      o.put("polledAt", polledAt);
      JSONArray list = new JSONArray();
      for (Row row : rows.values()) {
        JSONObject r = new JSONObject();
        r.put("from", row.from);
        r.put("to", row.to);
        r.put("package", row.pkg);
        r.put("label", row.label);
        r.put("raw", longs(row.lastRaw));
        r.put("carry", longs(row.carry));
        r.put("acked", longs(row.acked));
        list.put(r);
      }
      o.put("rows", list);
      return o.toString();
    } catch (JSONException e) {
      throw new IllegalStateException("ledger to JSON", e);
    }
  }

  /** The ledger saved by {@link #toJson}; an unreadable file gives an empty ledger. */
  public static UsageLedger fromJson(String json) {
    UsageLedger ledger = new UsageLedger();
    if (json == null || json.trim().isEmpty()) return ledger;
    try {
      JSONObject o = new JSONObject(json);
      ledger.nextSeq = Math.max(1, o.optLong("nextSeq", 1));
      ledger.polledAt = o.optLong("polledAt", -1);
      JSONArray list = o.optJSONArray("rows");
      for (int i = 0; list != null && i < list.length(); i++) {
        JSONObject r = list.getJSONObject(i);
        Row row = new Row(r.getLong("from"), r.getLong("to"), r.getString("package"), r.optString("label", ""));
        readLongs(r.getJSONArray("raw"), row.lastRaw);
        readLongs(r.getJSONArray("carry"), row.carry);
        readLongs(r.getJSONArray("acked"), row.acked);
        ledger.rows.put(key(row.from, row.pkg), row);
      }
    } catch (JSONException e) {
      // a damaged ledger: start afresh; the platform's totals are resent (set semantics: harmless)
      return new UsageLedger();
    }
    return ledger;
  }

  /** When the platform's counters were last read (-1: never): where the next read starts. */
  public long polledAt() {
    return polledAt;
  }

  public void setPolledAt(long t) {
    polledAt = t;
  }

  /** The next seq to be used (persisted, so seqs keep increasing across restarts). */
  public long nextSeq() {
    return nextSeq;
  }

  private static JSONArray longs(long[] v) {
    JSONArray a = new JSONArray();
    for (long x : v) a.put(x);
    return a;
  }

  private static void readLongs(JSONArray a, long[] into) throws JSONException {
    for (int i = 0; i < 4; i++) into[i] = a.getLong(i);
  }
}
