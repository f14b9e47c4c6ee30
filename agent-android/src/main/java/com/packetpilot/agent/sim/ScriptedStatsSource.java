package com.packetpilot.agent.sim;

import com.packetpilot.agent.core.AppTotals;
import com.packetpilot.agent.core.Clock;
import com.packetpilot.agent.core.Periods;
import com.packetpilot.agent.core.StatsSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated phone's "NetworkStatsManager": a text file, read again at every poll (so a test can
 * rewrite it to make the counters grow, drop or reset). One app per line: its totals in one
 * 2-hour bucket, by default the bucket the simulator started in (so a test that runs across an
 * even hour does not see the same totals again in the next bucket):
 *
 * <pre>
 * # comment
 * period 2026-05-01T10:00:00Z          (optional: that time's bucket; "period now": the bucket of each read)
 * app PACKAGE WIFI_RX WIFI_TX MOBILE_RX MOBILE_TX LABEL…
 * </pre>
 */
public final class ScriptedStatsSource implements StatsSource {
  private final Path file;
  private final Clock clock;
  /** The packages of the last read: the simulated phone's "installed apps". */
  private volatile List<String> packages = new ArrayList<>();

  private final long startBucket;

  public ScriptedStatsSource(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
    this.startBucket = Periods.bucketStart(clock.now());
  }

  public List<String> packages() {
    return packages;
  }

  @Override
  public List<AppTotals> read(long fromMs, long toMs) throws StatsUnavailableException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StatsUnavailableException("script " + file + ": " + e.getMessage(), e);
    }
    return parse(lines, clock.now(), fromMs, toMs);
  }

  List<AppTotals> parse(List<String> lines, long now, long fromMs, long toMs) throws StatsUnavailableException {
    long from = startBucket;
    List<AppTotals> out = new ArrayList<>();
    List<String> pkgs = new ArrayList<>();
    int n = 0;
    for (String raw : lines) {
      n++;
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] f = line.split("\\s+", 7);
      try {
        if (f[0].equals("period") && f.length == 2 && f[1].equals("now")) {
          from = Periods.bucketStart(now);
        } else if (f[0].equals("period") && f.length == 2) {
          long t = Periods.parseIso(f[1]);
          if (t < 0) throw new IllegalArgumentException("bad time " + f[1]);
          from = Periods.bucketStart(t);
        } else if (f[0].equals("app") && f.length >= 6) {
          String label = f.length == 7 ? f[6] : f[1];
          long to = from + Periods.BUCKET_MS;
          pkgs.add(f[1]);
          if (to <= fromMs || from >= toMs) continue;
          out.add(new AppTotals(from, to, f[1], label, Long.parseLong(f[2]), Long.parseLong(f[3]),
              Long.parseLong(f[4]), Long.parseLong(f[5])));
        } else {
          throw new IllegalArgumentException("expected 'app PACKAGE WIFI_RX WIFI_TX MOBILE_RX MOBILE_TX LABEL'");
        }
      } catch (IllegalArgumentException e) {
        throw new StatsUnavailableException("script line " + n + ": " + e.getMessage(), e);
      }
    }
    packages = pkgs;
    return out;
  }
}
