package com.packetpilot.agent.android;

import android.app.usage.NetworkStats;
import android.app.usage.NetworkStatsManager;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.net.ConnectivityManager;
import android.os.RemoteException;
import com.packetpilot.agent.core.AppTotals;
import com.packetpilot.agent.core.Periods;
import com.packetpilot.agent.core.StatsSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-app counters from NetworkStatsManager: for each 2-hour bucket, querySummary on Wi-Fi and on
 * mobile data (all SIMs: subscriberId null), summed per uid over state, metered and roaming, then
 * uid → package and label. Needs usage access (PACKAGE_USAGE_STATS granted in Settings).
 */
public final class AndroidStatsSource implements StatsSource {
  /** querySummary, behind an interface so tests can feed buckets. */
  public interface Summaries {
    List<NetworkStats.Bucket> query(int networkType, long start, long end) throws RemoteException;
  }

  /** The real NetworkStatsManager. */
  public static Summaries of(final NetworkStatsManager manager) {
    return new Summaries() {
      @Override
      public List<NetworkStats.Bucket> query(int networkType, long start, long end) throws RemoteException {
        NetworkStats stats = manager.querySummary(networkType, null, start, end);
        List<NetworkStats.Bucket> out = new ArrayList<>();
        if (stats == null) return out;
        try {
          while (stats.hasNextBucket()) {
            NetworkStats.Bucket b = new NetworkStats.Bucket();
            if (stats.getNextBucket(b)) out.add(b);
          }
        } finally {
          stats.close();
        }
        return out;
      }
    };
  }

  /** Synthetic "packages" for the uids that are not an app. */
  public static final String REMOVED = "android.uid.removed";
  public static final String TETHERING = "android.uid.tethering";

  private final PackageManager pm;
  private final Summaries summaries;
  private final Map<Integer, String[]> names = new HashMap<>();

  public AndroidStatsSource(PackageManager pm, Summaries summaries) {
    this.pm = pm;
    this.summaries = summaries;
  }

  @Override
  public List<AppTotals> read(long fromMs, long toMs) throws StatsUnavailableException {
    List<AppTotals> out = new ArrayList<>();
    names.clear();
    for (long b = Periods.bucketStart(fromMs); b < toMs; b += Periods.BUCKET_MS) {
      long end = b + Periods.BUCKET_MS;
      TreeMap<Integer, long[]> perUid = new TreeMap<>();
      add(perUid, query(ConnectivityManager.TYPE_WIFI, b, end), AppTotals.WIFI_RX, AppTotals.WIFI_TX);
      add(perUid, query(ConnectivityManager.TYPE_MOBILE, b, end), AppTotals.MOBILE_RX, AppTotals.MOBILE_TX);
      // Several uids can map to one name (they should not, but never report one name twice).
      TreeMap<String, long[]> perApp = new TreeMap<>();
      Map<String, String> labels = new HashMap<>();
      for (Map.Entry<Integer, long[]> e : perUid.entrySet()) {
        String[] name = name(e.getKey());
        long[] sum = perApp.get(name[0]);
        if (sum == null) {
          perApp.put(name[0], e.getValue());
          labels.put(name[0], name[1]);
        } else {
          for (int i = 0; i < 4; i++) sum[i] += e.getValue()[i];
        }
      }
      for (Map.Entry<String, long[]> e : perApp.entrySet()) {
        long[] v = e.getValue();
        if (v[0] + v[1] + v[2] + v[3] == 0) continue;
        out.add(new AppTotals(b, end, e.getKey(), labels.get(e.getKey()), v[0], v[1], v[2], v[3]));
      }
    }
    return out;
  }

  private List<NetworkStats.Bucket> query(int type, long start, long end) throws StatsUnavailableException {
    try {
      return summaries.query(type, start, end);
    } catch (SecurityException e) {
      throw new StatsUnavailableException("usage access is not granted", e);
    } catch (RemoteException | RuntimeException e) {
      throw new StatsUnavailableException("network stats: " + e, e);
    }
  }

  private static void add(Map<Integer, long[]> perUid, List<NetworkStats.Bucket> buckets, int rx, int tx) {
    for (NetworkStats.Bucket b : buckets) {
      if (b.getTag() != NetworkStats.Bucket.TAG_NONE) continue;
      long[] v = perUid.get(b.getUid());
      if (v == null) {
        v = new long[4];
        perUid.put(b.getUid(), v);
      }
      v[rx] += b.getRxBytes();
      v[tx] += b.getTxBytes();
    }
  }

  /** {package, label} of a uid: its package, or the shared uid's name, or a synthetic name. */
  String[] name(int uid) {
    String[] known = names.get(uid);
    if (known != null) return known;
    String[] name;
    if (uid == NetworkStats.Bucket.UID_REMOVED) {
      name = new String[] {REMOVED, "Removed apps"};
    } else if (uid == NetworkStats.Bucket.UID_TETHERING) {
      name = new String[] {TETHERING, "Tethering (hotspot)"};
    } else {
      String[] pkgs = pm.getPackagesForUid(uid);
      if (pkgs != null && pkgs.length == 1) {
        name = new String[] {pkgs[0], label(pkgs[0])};
      } else if (pkgs != null && pkgs.length > 1) {
        // a shared uid (e.g. android.uid.system:1000): its name, and the labels of its packages
        Arrays.sort(pkgs);
        String shared = pm.getNameForUid(uid);
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < pkgs.length && i < 3; i++) labels.append(i == 0 ? "" : ", ").append(label(pkgs[i]));
        if (pkgs.length > 3) labels.append(" +").append(pkgs.length - 3);
        name = new String[] {nonEmpty(shared, pkgs[0]), labels.toString()};
      } else {
        String n = pm.getNameForUid(uid);
        name = new String[] {nonEmpty(n, "uid:" + uid), nonEmpty(n, "uid " + uid)};
      }
    }
    names.put(uid, name);
    return name;
  }

  private static String nonEmpty(String s, String otherwise) {
    return s == null || s.trim().isEmpty() ? otherwise : s;
  }

  private String label(String pkg) {
    try {
      ApplicationInfo info = pm.getApplicationInfo(pkg, 0);
      CharSequence l = pm.getApplicationLabel(info);
      return l == null ? pkg : l.toString();
    } catch (PackageManager.NameNotFoundException e) {
      return pkg;
    }
  }
}
