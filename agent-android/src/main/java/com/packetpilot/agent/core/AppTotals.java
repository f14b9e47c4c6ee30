package com.packetpilot.agent.core;

/**
 * One app's byte totals in one platform period (an Android NetworkStats bucket), as the system
 * counts them right now: rx = received by the phone, tx = sent by it.
 */
public final class AppTotals {
  public static final int WIFI_RX = 0;
  public static final int WIFI_TX = 1;
  public static final int MOBILE_RX = 2;
  public static final int MOBILE_TX = 3;

  public final long periodFrom;
  public final long periodTo;
  public final String pkg;
  public final String label;
  private final long[] bytes;

  public AppTotals(long periodFrom, long periodTo, String pkg, String label, long wifiRx, long wifiTx,
      long mobileRx, long mobileTx) {
    if (periodFrom >= periodTo) throw new IllegalArgumentException("period must end after it starts");
    if (pkg == null || pkg.isEmpty()) throw new IllegalArgumentException("package is empty");
    this.periodFrom = periodFrom;
    this.periodTo = periodTo;
    this.pkg = pkg;
    this.label = label == null ? "" : label;
    this.bytes = new long[] {nonNegative(wifiRx), nonNegative(wifiTx), nonNegative(mobileRx), nonNegative(mobileTx)};
  }

  public long get(int field) {
    return bytes[field];
  }

  /** A copy of the four counters: wifi rx, wifi tx, mobile rx, mobile tx. */
  public long[] bytes() {
    return bytes.clone();
  }

  private static long nonNegative(long v) {
    return v < 0 ? 0 : v;
  }

  @Override
  public String toString() {
    return pkg + "@" + Periods.iso(periodFrom) + " wifi " + bytes[0] + "/" + bytes[1] + " mobile " + bytes[2]
        + "/" + bytes[3];
  }
}
