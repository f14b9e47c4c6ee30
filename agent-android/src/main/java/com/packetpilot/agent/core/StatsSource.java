package com.packetpilot.agent.core;

import java.util.List;

/** The platform's per-app byte counters (NetworkStatsManager on a phone, a script in the simulator). */
public interface StatsSource {
  /**
   * Every app's totals in each platform period that overlaps [fromMs, toMs), periods whole (the
   * period that is still running: its totals so far).
   *
   * @throws StatsUnavailableException when the counters cannot be read (usage access not granted)
   */
  List<AppTotals> read(long fromMs, long toMs) throws StatsUnavailableException;

  final class StatsUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public StatsUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
