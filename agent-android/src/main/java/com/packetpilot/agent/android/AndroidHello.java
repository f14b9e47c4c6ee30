package com.packetpilot.agent.android;

import android.content.Context;
import android.content.pm.PackageManager;
import android.net.VpnService;
import android.os.Build;
import android.provider.Settings;
import com.packetpilot.agent.core.AgentCore;
import com.packetpilot.agent.core.Messages;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** What the phone says about itself in hello and at enrollment. */
final class AndroidHello implements AgentCore.HelloSource {
  private final Context context;

  AndroidHello(Context context) {
    this.context = context.getApplicationContext();
  }

  static String deviceName(Context context) {
    String name = Settings.Global.getString(context.getContentResolver(), Settings.Global.DEVICE_NAME);
    return name != null && !name.trim().isEmpty() ? name.trim() : Build.MANUFACTURER + " " + Build.MODEL;
  }

  static String version(Context context) {
    try {
      String v = context.getPackageManager().getPackageInfo(context.getPackageName(), 0).versionName;
      return v == null || v.isEmpty() ? "0" : v;
    } catch (PackageManager.NameNotFoundException e) {
      return "0";
    }
  }

  @Override
  public Messages.Hello hello() {
    String os = "Android " + Build.VERSION.RELEASE + " (API " + Build.VERSION.SDK_INT + ")";
    String blocking = VpnService.prepare(context) == null ? "enforced" : "unavailable";
    return new Messages.Hello("android " + version(context), os, deviceName(context), interfaces(), blocking);
  }

  /** Interfaces whose MAC the system shows (Android 10+ hides them from apps: usually none). */
  static List<Messages.Interface> interfaces() {
    List<Messages.Interface> out = new ArrayList<>();
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        byte[] mac = ni.getHardwareAddress();
        if (mac == null || mac.length != 6 || allZero(mac)) continue;
        List<String> addrs = new ArrayList<>();
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
          String s = a.getHostAddress();
          int scope = s.indexOf('%');
          addrs.add(scope >= 0 ? s.substring(0, scope) : s);
        }
        out.add(new Messages.Interface(ni.getName(), mac(mac), addrs));
      }
    } catch (SocketException | RuntimeException e) {
      // no interfaces to tell
    }
    return out;
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) if (x != 0) return false;
    return true;
  }

  private static String mac(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < b.length; i++) s.append(i == 0 ? "" : ":").append(String.format(Locale.ROOT, "%02x", b[i] & 0xff));
    return s.toString();
  }
}
