package com.packetpilot.agent.android;

import android.content.pm.PackageManager;
import android.net.VpnService;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The VPN that sinks blocked apps: only those apps are routed into it (addAllowedApplication for
 * each), with default routes for IPv4 and IPv6, so all their traffic enters it and no other app's
 * does. Without a single allowed app Android would route every app into the VPN, so the VPN is
 * only established when at least one blocked app is installed.
 */
public final class VpnRules {
  public static final String SESSION = "Packet Pilot: blocked apps";
  public static final String ADDRESS4 = "10.111.222.1";
  public static final String ADDRESS6 = "fd00:7070:7070::1";
  public static final int MTU = 1500;

  private VpnRules() {}

  /** The blocked packages that are installed, sorted as given; never this app itself. */
  public static List<String> installed(Collection<String> blocked, PackageManager pm, String ownPackage) {
    List<String> out = new ArrayList<>();
    for (String pkg : blocked) {
      if (pkg.equals(ownPackage) || out.contains(pkg)) continue;
      try {
        pm.getApplicationInfo(pkg, 0);
        out.add(pkg);
      } catch (PackageManager.NameNotFoundException e) {
        // not on this phone: nothing to block
      }
    }
    return out;
  }

  /**
   * Sets up the builder for these apps; returns the apps it really added (one that disappeared in
   * the meantime is left out). Establish only when the result is not empty.
   */
  public static List<String> configure(VpnService.Builder builder, Collection<String> apps) {
    builder.setSession(SESSION);
    builder.addAddress(numeric(ADDRESS4), 32);
    builder.addAddress(numeric(ADDRESS6), 128);
    builder.addRoute(numeric("0.0.0.0"), 0);
    builder.addRoute(numeric("::"), 0);
    builder.setMtu(MTU);
    builder.setBlocking(true);
    builder.setMetered(false);
    List<String> added = new ArrayList<>();
    for (String pkg : apps) {
      try {
        builder.addAllowedApplication(pkg);
        added.add(pkg);
      } catch (PackageManager.NameNotFoundException e) {
        // uninstalled since installed() looked
      }
    }
    return added;
  }

  /** An address literal (never a name lookup). */
  static InetAddress numeric(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }
}
