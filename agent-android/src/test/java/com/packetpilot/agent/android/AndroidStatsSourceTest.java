package com.packetpilot.agent.android;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.app.Application;
import android.app.usage.NetworkStats;
import android.content.pm.PackageManager;
import android.net.ConnectivityManager;
import com.packetpilot.agent.core.AppTotals;
import com.packetpilot.agent.core.Periods;
import com.packetpilot.agent.core.StatsSource;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;

/** NetworkStatsManager's buckets → per-app totals per 2-hour period, with Robolectric's PackageManager. */
@RunWith(RobolectricTestRunner.class)
public class AndroidStatsSourceTest {
  static final long P = Periods.parseIso("2026-05-01T10:00:00Z");
  Application app;
  PackageManager pm;
  /** (network type, bucket start) → the buckets querySummary returns. */
  final Map<String, List<NetworkStats.Bucket>> summaries = new HashMap<>();
  final List<String> queries = new ArrayList<>();

  final AndroidStatsSource.Summaries fake = new AndroidStatsSource.Summaries() {
    @Override
    public List<NetworkStats.Bucket> query(int networkType, long start, long end) {
      queries.add(networkType + "@" + Periods.iso(start) + "/" + Periods.iso(end));
      List<NetworkStats.Bucket> b = summaries.get(networkType + "@" + start);
      return b == null ? new ArrayList<NetworkStats.Bucket>() : b;
    }
  };

  @Before
  public void setUp() {
    app = RuntimeEnvironment.getApplication();
    pm = app.getPackageManager();
    Installed.app(pm, "com.google.android.youtube", "YouTube", 10100);
    Installed.app(pm, "com.whatsapp", "WhatsApp", 10101);
    shadowOf(pm).setPackagesForUid(10100, "com.google.android.youtube");
    shadowOf(pm).setPackagesForUid(10101, "com.whatsapp");
    Installed.app(pm, "com.android.settings", "Settings", 1000);
    Installed.app(pm, "com.android.providers.settings", "Settings Storage", 1000);
    shadowOf(pm).setPackagesForUid(1000, "com.android.settings", "com.android.providers.settings");
    shadowOf(pm).setNameForUid(1000, "android.uid.system:1000");
  }

  static NetworkStats.Bucket bucket(int uid, int state, long rx, long tx) throws Exception {
    NetworkStats.Bucket b = new NetworkStats.Bucket();
    set(b, "mUid", uid);
    set(b, "mState", state);
    set(b, "mTag", NetworkStats.Bucket.TAG_NONE);
    set(b, "mRxBytes", rx);
    set(b, "mTxBytes", tx);
    return b;
  }

  static void set(Object o, String field, Object value) throws Exception {
    Field f = NetworkStats.Bucket.class.getDeclaredField(field);
    f.setAccessible(true);
    f.set(o, value);
  }

  void summary(int type, long start, NetworkStats.Bucket... buckets) {
    List<NetworkStats.Bucket> l = summaries.get(type + "@" + start);
    if (l == null) summaries.put(type + "@" + start, l = new ArrayList<>());
    for (NetworkStats.Bucket b : buckets) l.add(b);
  }

  static String row(AppTotals t) {
    return Periods.iso(t.periodFrom) + " " + t.pkg + " '" + t.label + "' " + t.get(0) + "/" + t.get(1) + "/" + t.get(2) + "/" + t.get(3);
  }

  @Test
  public void sumsStatesPerUidAndNamesAppsPerBucket() throws Exception {
    int wifi = ConnectivityManager.TYPE_WIFI;
    int mobile = ConnectivityManager.TYPE_MOBILE;
    summary(wifi, P, bucket(10100, NetworkStats.Bucket.STATE_FOREGROUND, 5000, 100),
        bucket(10100, NetworkStats.Bucket.STATE_DEFAULT, 2000, 50), bucket(10101, NetworkStats.Bucket.STATE_DEFAULT, 300, 40));
    summary(mobile, P, bucket(10101, NetworkStats.Bucket.STATE_DEFAULT, 7, 3));
    summary(wifi, P + Periods.BUCKET_MS, bucket(1000, NetworkStats.Bucket.STATE_DEFAULT, 11, 22),
        bucket(NetworkStats.Bucket.UID_REMOVED, NetworkStats.Bucket.STATE_DEFAULT, 9, 1),
        bucket(NetworkStats.Bucket.UID_TETHERING, NetworkStats.Bucket.STATE_DEFAULT, 8, 2),
        bucket(10100, NetworkStats.Bucket.STATE_DEFAULT, 0, 0),
        bucket(10999, NetworkStats.Bucket.STATE_DEFAULT, 5, 5));
    AndroidStatsSource source = new AndroidStatsSource(pm, fake);
    List<String> rows = new ArrayList<>();
    // a window from inside the first bucket to inside the second reads both buckets whole
    for (AppTotals t : source.read(P + 3_600_000, P + Periods.BUCKET_MS + 60_000)) rows.add(row(t));
    assertEquals(java.util.Arrays.asList(
        "2026-05-01T10:00:00.000Z com.google.android.youtube 'YouTube' 7000/150/0/0",
        "2026-05-01T10:00:00.000Z com.whatsapp 'WhatsApp' 300/40/7/3",
        "2026-05-01T12:00:00.000Z android.uid.removed 'Removed apps' 9/1/0/0",
        "2026-05-01T12:00:00.000Z android.uid.system:1000 'Settings Storage, Settings' 11/22/0/0",
        "2026-05-01T12:00:00.000Z android.uid.tethering 'Tethering (hotspot)' 8/2/0/0",
        "2026-05-01T12:00:00.000Z uid:10999 'uid 10999' 5/5/0/0"), rows);
    assertEquals(java.util.Arrays.asList(
        wifi + "@2026-05-01T10:00:00.000Z/2026-05-01T12:00:00.000Z",
        mobile + "@2026-05-01T10:00:00.000Z/2026-05-01T12:00:00.000Z",
        wifi + "@2026-05-01T12:00:00.000Z/2026-05-01T14:00:00.000Z",
        mobile + "@2026-05-01T12:00:00.000Z/2026-05-01T14:00:00.000Z"), queries);
  }

  @Test
  public void withoutUsageAccessTheCountersAreUnavailable() {
    AndroidStatsSource source = new AndroidStatsSource(pm, new AndroidStatsSource.Summaries() {
      @Override
      public List<NetworkStats.Bucket> query(int networkType, long start, long end) {
        throw new SecurityException("Network stats history of uid 10200 is not accessible");
      }
    });
    try {
      source.read(P, P + 1);
      throw new AssertionError("expected StatsUnavailableException");
    } catch (StatsSource.StatsUnavailableException e) {
      assertTrue(e.getMessage().contains("usage access"));
    }
  }
}
