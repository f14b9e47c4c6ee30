package com.packetpilot.agent.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.Test;

public class UsageLedgerTest {
  static final long P1 = Periods.parseIso("2026-05-01T10:00:00Z");
  static final long P2 = P1 + Periods.BUCKET_MS;
  static final long RESEND = 60_000;
  long now = P1 + 600_000;

  static AppTotals t(long period, String pkg, long wifiRx, long wifiTx) {
    return new AppTotals(period, period + Periods.BUCKET_MS, pkg, pkg.toUpperCase(), wifiRx, wifiTx, 0, 0);
  }

  static AppTotals t(long period, String pkg, long wifiRx, long wifiTx, long mobileRx, long mobileTx) {
    return new AppTotals(period, period + Periods.BUCKET_MS, pkg, pkg, wifiRx, wifiTx, mobileRx, mobileTx);
  }

  static List<AppTotals> snap(AppTotals... t) {
    return Arrays.asList(t);
  }

  /** "pkg:wifiRx/wifiTx" of each app of each report. */
  static List<String> apps(List<UsageLedger.Report> reports) {
    List<String> out = new ArrayList<>();
    for (UsageLedger.Report r : reports)
      for (AppTotals a : r.apps) out.add(a.pkg + ":" + a.get(0) + "/" + a.get(1));
    return out;
  }

  @Test
  public void reportsTotalsThenNothingOnceAcknowledged() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200), t(P1, "chat", 300, 40)));
    List<UsageLedger.Report> due = l.due(now, RESEND);
    assertEquals(1, due.size());
    assertEquals(1, due.get(0).seq);
    assertEquals(P1, due.get(0).from);
    assertEquals(P1 + Periods.BUCKET_MS, due.get(0).to);
    assertEquals(Arrays.asList("chat:300/40", "video:5000/200"), apps(due));
    assertEquals(2, l.ack(1));
    assertEquals(0, l.unsettled());
    // the same totals again (a replay, an app restart re-reading the platform): nothing to send
    assertEquals(0, l.observe(snap(t(P1, "video", 5000, 200), t(P1, "chat", 300, 40))));
    assertTrue(l.due(now, RESEND).isEmpty());
  }

  @Test
  public void growthSendsOnlyTheChangedAppWithItsNewTotal() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200), t(P1, "chat", 300, 40)));
    l.ack(l.due(now, RESEND).get(0).seq);
    l.observe(snap(t(P1, "video", 9000, 250), t(P1, "chat", 300, 40)));
    List<UsageLedger.Report> due = l.due(now, RESEND);
    assertEquals(Arrays.asList("video:9000/250"), apps(due));
    assertEquals(2, due.get(0).seq);
  }

  @Test
  public void waitsForTheAckThenResendsAfterTheTimeout() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200)));
    assertEquals(1, l.due(now, RESEND).size());
    assertTrue("in flight: not sent twice", l.due(now + 1000, RESEND).isEmpty());
    List<UsageLedger.Report> again = l.due(now + RESEND, RESEND);
    assertEquals(Arrays.asList("video:5000/200"), apps(again));
    assertEquals(2, again.get(0).seq);
  }

  @Test
  public void reconnectResendsWhatWasInFlight() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200)));
    l.due(now, RESEND);
    l.connectionLost();
    assertEquals(Arrays.asList("video:5000/200"), apps(l.due(now + 1, RESEND)));
  }

  @Test
  public void errorWithSeqResendsThatReport() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200)));
    long seq = l.due(now, RESEND).get(0).seq;
    l.failed(seq);
    assertEquals(1, l.due(now + 1, RESEND).size());
  }

  @Test
  public void aLateAckOfAnOlderReportDoesNotSettleANewerTotal() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200)));
    long first = l.due(now, RESEND).get(0).seq;
    l.observe(snap(t(P1, "video", 7000, 300)));
    long second = l.due(now + 1, RESEND).get(0).seq;
    assertEquals(0, l.ack(first)); // its row went out again since, with the newer total
    assertEquals(1, l.unsettled());
    assertEquals(1, l.ack(second));
    assertEquals(0, l.unsettled());
  }

  @Test
  public void aCounterThatGoesBackwardsIsCarriedNeverShrinks() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 10_000, 1_000, 500, 50)));
    l.ack(l.due(now, RESEND).get(0).seq);
    // the phone crashed: the platform lost its unsaved counts (10000 → 7000 persisted)
    l.observe(snap(t(P1, "video", 7_000, 1_000, 500, 50)));
    assertArrayEquals(new long[] {10_000, 1_000, 500, 50}, l.total(P1, "video"));
    assertTrue("no change: nothing to send", l.due(now, RESEND).isEmpty());
    // counting goes on from the persisted value: 2000 new bytes
    l.observe(snap(t(P1, "video", 9_000, 1_100, 500, 50)));
    assertArrayEquals(new long[] {12_000, 1_100, 500, 50}, l.total(P1, "video"));
    assertEquals(Arrays.asList("video:12000/1100"), apps(l.due(now, RESEND)));
    assertEquals(1, l.drops());
    // a counter reset to zero (stats cleared) is carried the same way
    l.observe(snap(t(P1, "video", 0, 0, 0, 0)));
    assertArrayEquals(new long[] {12_000, 1_100, 500, 50}, l.total(P1, "video"));
  }

  @Test
  public void restartKeepsAckedTotalsAndResendsTheRest() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 5000, 200), t(P1, "chat", 300, 40)));
    UsageLedger.Report r = l.due(now, RESEND).get(0);
    l.ack(r.seq);
    l.observe(snap(t(P1, "video", 6000, 200)));
    l.due(now, RESEND); // sent, never acknowledged: the app is killed
    UsageLedger back = UsageLedger.fromJson(l.toJson());
    assertEquals(l.nextSeq(), back.nextSeq());
    // a reboot: the platform reads the same totals (it persists on shutdown)
    back.observe(snap(t(P1, "video", 6000, 200), t(P1, "chat", 300, 40)));
    List<UsageLedger.Report> due = back.due(now, RESEND);
    assertEquals(Arrays.asList("video:6000/200"), apps(due));
    assertTrue("seqs keep increasing", due.get(0).seq > r.seq + 1);
  }

  @Test
  public void aDamagedLedgerStartsAfresh() {
    assertEquals(0, UsageLedger.fromJson("{not json").size());
    assertEquals(0, UsageLedger.fromJson("").size());
    assertEquals(0, UsageLedger.fromJson(null).size());
  }

  @Test
  public void onePeriodPerReportOldestFirst() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P2, "video", 1, 1), t(P1, "video", 2, 2), t(P1, "chat", 3, 3)));
    List<UsageLedger.Report> due = l.due(now, RESEND);
    assertEquals(2, due.size());
    assertEquals(P1, due.get(0).from);
    assertEquals(2, due.get(0).apps.size());
    assertEquals(P2, due.get(1).from);
    assertEquals(due.get(0).seq + 1, due.get(1).seq);
  }

  @Test
  public void atMost1000AppsPerReport() {
    UsageLedger l = new UsageLedger();
    List<AppTotals> many = new ArrayList<>();
    for (int i = 0; i < 2500; i++) many.add(t(P1, String.format("app%04d", i), i + 1, 0));
    l.observe(many);
    List<UsageLedger.Report> due = l.due(now, RESEND);
    assertEquals(3, due.size());
    assertEquals(1000, due.get(0).apps.size());
    assertEquals(500, due.get(2).apps.size());
  }

  @Test
  public void pruneForgetsSettledOldPeriodsAndGivesUpOnAncientOnes() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "video", 1, 1), t(P2, "video", 2, 2)));
    l.ack(l.due(now, RESEND).get(0).seq); // P1 settled, P2 in flight
    assertEquals(1, l.prune(P2 + Periods.BUCKET_MS, 0));
    assertEquals(1, l.size());
    assertEquals(1, l.prune(0, P2 + Periods.BUCKET_MS));
    assertEquals(0, l.size());
  }

  @Test
  public void zeroTotalsAreNotReported() {
    UsageLedger l = new UsageLedger();
    l.observe(snap(t(P1, "idle", 0, 0)));
    assertTrue(l.due(now, RESEND).isEmpty());
  }
}
