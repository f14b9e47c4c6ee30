package com.packetpilot.agent.core;

import java.util.Random;

/**
 * Reconnect delays: 1 s, 2 s, 4 s … up to a cap, each with ±20 % jitter so phones that lost the
 * gateway together do not come back together; back to the start once a connection is welcomed.
 */
public final class Backoff {
  private final long initialMs;
  private final long maxMs;
  private final Random random;
  private int attempt;

  public Backoff(long initialMs, long maxMs, Random random) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  public long next() {
    long base = initialMs << Math.min(attempt, 20);
    if (base <= 0 || base > maxMs) base = maxMs;
    attempt++;
    double jitter = 0.8 + 0.4 * random.nextDouble();
    return Math.max(1, (long) (base * jitter));
  }

  public void reset() {
    attempt = 0;
  }

  public int attempts() {
    return attempt;
  }
}
