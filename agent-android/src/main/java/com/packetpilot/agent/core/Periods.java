package com.packetpilot.agent.core;

import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Locale;
import java.util.TimeZone;

/**
 * The platform's usage periods. Android keeps per-uid network stats in buckets of
 * {@code netstats_uid_bucket_duration} (2 hours unless a vendor changed it), aligned to multiples
 * of that duration since the epoch, so a bucket always starts on a full hour (UTC).
 */
public final class Periods {
  public static final long HOUR_MS = 3600_000L;
  public static final long BUCKET_MS = 2 * HOUR_MS;

  private Periods() {}

  /** Start of the bucket that holds {@code t}. */
  public static long bucketStart(long t) {
    return Math.floorDiv(t, BUCKET_MS) * BUCKET_MS;
  }

  /** RFC 3339 UTC with milliseconds, e.g. 2026-05-01T10:00:00.000Z. */
  public static String iso(long t) {
    SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT);
    f.setTimeZone(TimeZone.getTimeZone("UTC"));
    return f.format(new Date(t));
  }

  /** Parses what {@link #iso} writes (and the same without milliseconds); -1 if it cannot. */
  public static long parseIso(String s) {
    if (s == null) return -1;
    String[] patterns = {"yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'"};
    for (String p : patterns) {
      SimpleDateFormat f = new SimpleDateFormat(p, Locale.ROOT);
      f.setTimeZone(TimeZone.getTimeZone("UTC"));
      f.setLenient(false);
      java.text.ParsePosition pos = new java.text.ParsePosition(0);
      Date d = f.parse(s, pos);
      if (d != null && pos.getIndex() == s.length()) return d.getTime();
    }
    return -1;
  }
}
