package com.packetpilot.agent.core;

/** Wall-clock time, injected so tests can move it. */
public interface Clock {
  long now();

  Clock SYSTEM = new Clock() {
    @Override
    public long now() {
      return System.currentTimeMillis();
    }
  };
}
