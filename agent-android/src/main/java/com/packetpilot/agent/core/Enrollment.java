package com.packetpilot.agent.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * Enrollment: the QR code's deep link {@code packetpilot://enroll?gateway=<url>&code=<code>}, and the
 * one call that exchanges the code for the agent's credential ({@code POST /api/v1/agents/enroll}).
 */
public final class Enrollment {
  public static final int TIMEOUT_MS = 15_000;

  private Enrollment() {}

  /** The gateway base URL and the code of an enrollment link. */
  public static final class Link {
    public final String gateway;
    public final String code;

    public Link(String gateway, String code) {
      this.gateway = Credential.stripSlashes(gateway);
      this.code = code;
    }
  }

  /** The link's gateway and code, or null if it is not an enrollment link (as parseEnrollDeepLink). */
  public static Link parseDeepLink(String link) {
    if (link == null) return null;
    URI uri;
    try {
      uri = new URI(link.trim());
    } catch (URISyntaxException e) {
      return null;
    }
    if (!"packetpilot".equalsIgnoreCase(uri.getScheme()) || !"enroll".equalsIgnoreCase(uri.getHost())) return null;
    String query = uri.getRawQuery();
    if (query == null) return null;
    String gateway = null;
    String code = null;
    for (String part : query.split("&")) {
      int eq = part.indexOf('=');
      if (eq < 0) continue;
      String name = decode(part.substring(0, eq));
      String value = decode(part.substring(eq + 1));
      if (name == null || value == null) return null;
      if (name.equals("gateway") && gateway == null) gateway = value;
      if (name.equals("code") && code == null) code = value;
    }
    if (gateway == null || code == null || code.isEmpty()) return null;
    if (!gateway.startsWith("http://") && !gateway.startsWith("https://")) return null;
    return new Link(gateway, code);
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, "UTF-8");
    } catch (UnsupportedEncodingException | IllegalArgumentException e) {
      return null;
    }
  }

  /** The gateway said no: a wrong, used or expired code (401), or too many tries (429). */
  public static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;
    public final int status;

    RefusedException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** What the phone says about itself when it enrolls. */
  public static String body(String code, String name, String hostname) {
    try {
      JSONObject o = new JSONObject();
      o.put("code", Messages.clip(code, 64));
      if (name != null && !name.isEmpty()) o.put("name", Messages.clip(name, 64));
      o.put("platform", "android");
      if (hostname != null && !hostname.isEmpty()) o.put("hostname", Messages.clip(hostname, 253));
      return o.toString();
    } catch (JSONException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Exchanges the code for a credential (blocking; not on a UI thread). */
  public static Credential enroll(Link link, String name, String hostname) throws IOException {
    URL url = new URL(link.gateway + "/api/v1/agents/enroll");
    HttpURLConnection c = (HttpURLConnection) url.openConnection();
    try {
      c.setConnectTimeout(TIMEOUT_MS);
      c.setReadTimeout(TIMEOUT_MS);
      c.setRequestMethod("POST");
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "application/json");
      c.setRequestProperty("Accept", "application/json");
      byte[] out = body(link.code, name, hostname).getBytes(StandardCharsets.UTF_8);
      OutputStream os = c.getOutputStream();
      try {
        os.write(out);
      } finally {
        os.close();
      }
      int status = c.getResponseCode();
      String reply = readAll(status >= 400 ? c.getErrorStream() : c.getInputStream());
      if (status != 200) {
        String message = errorMessage(reply);
        if (status == 400 || status == 401 || status == 403 || status == 429) throw new RefusedException(status, message);
        throw new IOException("enroll: HTTP " + status + ": " + message);
      }
      return parseReply(link.gateway, reply);
    } finally {
      c.disconnect();
    }
  }

  static Credential parseReply(String gateway, String reply) throws IOException {
    try {
      JSONObject o = new JSONObject(reply);
      long deviceId = o.isNull("deviceId") ? -1 : o.getLong("deviceId");
      return new Credential(gateway, o.getLong("agentId"), deviceId, o.getString("secret"));
    } catch (JSONException e) {
      throw new IOException("enroll: unexpected reply", e);
    }
  }

  private static String errorMessage(String reply) {
    try {
      JSONObject e = new JSONObject(reply).getJSONObject("error");
      return e.optString("code", "") + ": " + e.optString("message", "");
    } catch (JSONException | RuntimeException ex) {
      return Messages.clip(reply, 200);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    if (in == null) return "";
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
      return new String(out.toByteArray(), StandardCharsets.UTF_8);
    } finally {
      in.close();
    }
  }
}
