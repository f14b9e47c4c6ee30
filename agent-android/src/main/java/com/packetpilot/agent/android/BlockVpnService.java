package com.packetpilot.agent.android;

import android.app.PendingIntent;
import android.content.Context;
import android.content.Intent;
import android.net.VpnService;
import android.os.ParcelFileDescriptor;
import android.system.ErrnoException;
import android.util.Log;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The sink for blocked apps (see VpnRules and PacketSink). Started with ACTION_APPLY whenever the
 * stored policy changes, and by the system itself when the app is the always-on VPN. Brings the
 * VPN up for the installed blocked apps, swaps it when the set changes, and takes it down (and
 * stops) when nothing is blocked.
 */
public final class BlockVpnService extends VpnService {
  static final String TAG = "PacketPilotVpn";
  public static final String ACTION_APPLY = "com.packetpilot.agent.APPLY_POLICY";

  /** What the VPN is doing now, for the status screen. */
  static volatile String status = "off";

  private SinkLoop loop;
  private List<String> applied = Collections.emptyList();

  /** Applies the stored policy (from the agent service, the boot receiver, the activity). */
  public static void apply(Context context) {
    context.startService(new Intent(context, BlockVpnService.class).setAction(ACTION_APPLY));
  }

  @Override
  public int onStartCommand(Intent intent, int flags, int startId) {
    // ACTION_APPLY from the app, SERVICE_INTERFACE from the system (always-on VPN), null on restart
    boolean keep = applyPolicy();
    if (!keep) stopSelf();
    return keep ? START_STICKY : START_NOT_STICKY;
  }

  /** True while a VPN is up. */
  boolean applyPolicy() {
    List<String> blocked = AndroidState.policy(this).blocked();
    List<String> apps = VpnRules.installed(blocked, getPackageManager(), getPackageName());
    if (apps.isEmpty()) {
      teardown();
      status = blocked.isEmpty() ? "off: nothing blocked" : "off: no blocked app is installed";
      return false;
    }
    if (VpnService.prepare(this) != null) {
      teardown();
      status = "off: VPN consent not given (open the app)";
      return false;
    }
    if (loop != null && apps.equals(applied)) return true;
    Builder builder = new Builder();
    List<String> added = VpnRules.configure(builder, apps);
    if (added.isEmpty()) {
      teardown();
      return false;
    }
    Intent open = new Intent(this, MainActivity.class);
    builder.setConfigureIntent(PendingIntent.getActivity(this, 0, open, PendingIntent.FLAG_IMMUTABLE));
    ParcelFileDescriptor tun;
    try {
      tun = builder.establish();
    } catch (RuntimeException e) {
      Log.w(TAG, "establish failed: " + e.getMessage());
      tun = null;
    }
    if (tun == null) {
      teardown();
      status = "off: the system refused the VPN";
      return false;
    }
    SinkLoop next;
    try {
      next = new SinkLoop(tun);
    } catch (ErrnoException e) {
      closeQuietly(tun);
      teardown();
      status = "off: " + e.getMessage();
      return false;
    }
    // The new interface replaced the old one when it was established: now stop the old reader.
    SinkLoop old = loop;
    loop = next;
    next.start();
    if (old != null) old.stop();
    applied = new ArrayList<>(added);
    status = "blocking " + added.size() + " app(s)";
    Log.i(TAG, "VPN up for " + added);
    return true;
  }

  private void teardown() {
    if (loop != null) {
      loop.stop();
      loop = null;
      Log.i(TAG, "VPN down");
    }
    applied = Collections.emptyList();
  }

  @Override
  public void onRevoke() {
    // The user turned the VPN off or another VPN app took over.
    teardown();
    status = "off: the VPN was turned off in the system settings";
    stopSelf();
  }

  @Override
  public void onDestroy() {
    teardown();
    super.onDestroy();
  }

  private static void closeQuietly(ParcelFileDescriptor pfd) {
    try {
      pfd.close();
    } catch (java.io.IOException e) {
      // nothing to do
    }
  }
}
