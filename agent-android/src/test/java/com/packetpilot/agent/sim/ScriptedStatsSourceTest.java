package com.packetpilot.agent.sim;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.packetpilot.agent.core.AppTotals;
import com.packetpilot.agent.core.Clock;
import com.packetpilot.agent.core.Periods;
import com.packetpilot.agent.core.StatsSource;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class ScriptedStatsSourceTest {
  static final long START = Periods.parseIso("2026-05-01T11:59:00Z");

  static final class MovableClock implements Clock {
    long t = START;

    @Override
    public long now() {
      return t;
    }
  }

  @Test
  public void totalsStayInTheBucketTheSimulatorStartedIn() throws Exception {
    MovableClock clock = new MovableClock();
    ScriptedStatsSource s = new ScriptedStatsSource(Paths.get("unused"), clock);
    List<String> script = Arrays.asList("# x", "", "app com.video 10 20 30 40 Video Player", "app com.chat 1 2 3 4");
    clock.t = START + 120_000; // past the even hour: a new bucket has begun
    List<AppTotals> t = s.parse(script, clock.t, clock.t - 3_600_000, clock.t);
    assertEquals(2, t.size());
    assertEquals(Periods.parseIso("2026-05-01T10:00:00Z"), t.get(0).periodFrom);
    assertEquals("Video Player", t.get(0).label);
    assertEquals("com.chat", t.get(1).label);
    assertEquals(40, t.get(0).get(AppTotals.MOBILE_TX));
    assertEquals(Arrays.asList("com.video", "com.chat"), s.packages());
  }

  @Test
  public void periodPinsOrFollowsTheClock() throws Exception {
    ScriptedStatsSource s = new ScriptedStatsSource(Paths.get("unused"), new MovableClock());
    long now = START + 120_000;
    assertEquals(Periods.parseIso("2026-05-01T12:00:00Z"),
        s.parse(Arrays.asList("period now", "app a 1 1 1 1"), now, now - 60_000, now).get(0).periodFrom);
    assertEquals(Periods.parseIso("2026-05-01T08:00:00Z"),
        s.parse(Arrays.asList("period 2026-05-01T09:30:00Z", "app a 1 1 1 1"), now, 0, now).get(0).periodFrom);
    assertTrue("outside the window asked for", s.parse(Arrays.asList("period 2026-04-01T09:30:00Z", "app a 1 1 1 1"),
        now, now - 60_000, now).isEmpty());
  }

  @Test
  public void aBadLineSaysWhichOne() {
    ScriptedStatsSource s = new ScriptedStatsSource(Paths.get("unused"), new MovableClock());
    for (String bad : new String[] {"app a 1 2", "app a x 1 1 1", "period yesterday", "apps a 1 1 1 1"}) {
      try {
        s.parse(Arrays.asList("# ok", bad), START, 0, START + 1);
        throw new AssertionError("accepted: " + bad);
      } catch (StatsSource.StatsUnavailableException e) {
        assertTrue(e.getMessage(), e.getMessage().startsWith("script line 2: "));
      }
    }
  }
}
