package com.packetpilot.agent.core;

import java.net.URI;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/** {@link Transport} over org.java-websocket's client (ws:// and wss://, pure Java). */
public final class JavaWebSocketTransport implements Transport {
  /** How Java-WebSocket reports an upgrade answered with a plain HTTP status. */
  private static final Pattern STATUS = Pattern.compile("Invalid status code received: (\\d{3})");

  public static final Factory FACTORY = new Factory() {
    @Override
    public Transport open(URI uri, Map<String, String> headers, Listener listener) {
      return new JavaWebSocketTransport(uri, headers, listener);
    }
  };

  private final Client client;

  private JavaWebSocketTransport(URI uri, Map<String, String> headers, Listener listener) {
    client = new Client(uri, headers, listener);
    // WebSocket pings find a dead TCP connection (Wi-Fi gone) within about a minute.
    client.setConnectionLostTimeout(60);
    client.setTcpNoDelay(true);
    client.connect();
  }

  @Override
  public boolean send(String text) {
    if (!client.isOpen()) return false;
    try {
      client.send(text);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close(int code, String reason) {
    client.close(code, reason);
  }

  static int httpStatus(String reason) {
    if (reason == null) return -1;
    Matcher m = STATUS.matcher(reason);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  private static final class Client extends WebSocketClient {
    private final Listener listener;
    private boolean closed;

    Client(URI uri, Map<String, String> headers, Listener listener) {
      super(uri, headers);
      this.listener = listener;
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
      listener.onOpen();
    }

    @Override
    public void onMessage(String message) {
      listener.onMessage(message);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
      synchronized (this) {
        if (closed) return;
        closed = true;
      }
      listener.onClosed(code, reason, httpStatus(reason));
    }

    @Override
    public void onError(Exception ex) {
      // onClose follows every error that ends the connection
    }
  }
}
