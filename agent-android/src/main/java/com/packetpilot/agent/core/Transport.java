package com.packetpilot.agent.core;

import java.net.URI;
import java.util.Map;

/** One WebSocket connection to the gateway (Java-WebSocket in the app, a fake in tests). */
public interface Transport {
  /** Called from the transport's own thread. */
  interface Listener {
    void onOpen();

    void onMessage(String text);

    /**
     * The connection is gone (or never came up). {@code code}: the WebSocket close code, or -1;
     * {@code httpStatus}: the status of a refused upgrade (401 for a revoked credential), or -1.
     */
    void onClosed(int code, String reason, int httpStatus);
  }

  interface Factory {
    /** Starts connecting; the listener hears how it goes. */
    Transport open(URI uri, Map<String, String> headers, Listener listener);
  }

  /** False when the frame could not be queued (the socket is not open). */
  boolean send(String text);

  void close(int code, String reason);
}
