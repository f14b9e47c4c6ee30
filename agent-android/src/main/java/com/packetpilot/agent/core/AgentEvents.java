package com.packetpilot.agent.core;

import java.util.List;

/**
 * What the agent core tells its host (the Android service, the simulated phone). Called on the
 * core's loop thread; must not block.
 */
public interface AgentEvents {
  void connecting(String url);

  void connected();

  void welcomed(long agentId, long deviceId, int heartbeatSeconds);

  /**
   * The policy to enforce now. {@code fromGateway} false: the stored one, at start; {@code changed}:
   * the set of blocked apps differs from the one stored before.
   */
  void policy(List<String> blockedApps, boolean changed, boolean fromGateway);

  void reportSent(UsageLedger.Report report);

  void acked(long seq, int rows);

  /** The gateway's error message; {@code seq} -1 when it is not about one report. */
  void gatewayError(String message, long seq);

  void disconnected(int code, String reason, long retryInMs);

  /** The credential is refused (revoked or unknown): the core stops; enroll again. */
  void refused(String reason);

  void statsUnavailable(String reason);

  /** Something the core could not do (storage); it goes on. */
  void problem(String what, Exception e);

  /** Does nothing; extend it and override what you need. */
  class Adapter implements AgentEvents {
    @Override public void connecting(String url) {}
    @Override public void connected() {}
    @Override public void welcomed(long agentId, long deviceId, int heartbeatSeconds) {}
    @Override public void policy(List<String> blockedApps, boolean changed, boolean fromGateway) {}
    @Override public void reportSent(UsageLedger.Report report) {}
    @Override public void acked(long seq, int rows) {}
    @Override public void gatewayError(String message, long seq) {}
    @Override public void disconnected(int code, String reason, long retryInMs) {}
    @Override public void refused(String reason) {}
    @Override public void statsUnavailable(String reason) {}
    @Override public void problem(String what, Exception e) {}
  }
}
