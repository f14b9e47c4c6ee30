package com.packetpilot.agent.android;

import android.app.Notification;
import android.app.NotificationChannel;
import android.app.NotificationManager;
import android.app.PendingIntent;
import android.app.Service;
import android.app.usage.NetworkStatsManager;
import android.content.Context;
import android.content.Intent;
import android.content.pm.ServiceInfo;
import android.os.Build;
import android.os.IBinder;
import android.util.Log;
import com.packetpilot.agent.core.AgentCore;
import com.packetpilot.agent.core.AgentEvents;
import com.packetpilot.agent.core.Clock;
import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.JavaWebSocketTransport;
import com.packetpilot.agent.core.UsageLedger;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The agent's foreground service: runs AgentCore (gateway connection, usage reports) with the
 * phone's NetworkStatsManager, and hands every policy to BlockVpnService. Shows the notification
 * Android requires for a foreground service; never logs the credential.
 */
public final class AgentService extends Service {
  static final String TAG = "PacketPilot";
  static final String CHANNEL = "agent";
  static final int NOTIFICATION_ID = 1;

  /** What the agent is doing, for the status screen. */
  static volatile String status = "not running";

  private ScheduledExecutorService loop;
  private AgentCore core;

  public static void start(Context context) {
    context.startForegroundService(new Intent(context, AgentService.class));
  }

  @Override
  public void onCreate() {
    super.onCreate();
    NotificationManager nm = getSystemService(NotificationManager.class);
    NotificationChannel channel =
        new NotificationChannel(CHANNEL, "Packet Pilot agent", NotificationManager.IMPORTANCE_LOW);
    channel.setShowBadge(false);
    nm.createNotificationChannel(channel);
  }

  @Override
  public int onStartCommand(Intent intent, int flags, int startId) {
    Notification n = notification("Starting");
    if (Build.VERSION.SDK_INT >= 34) {
      startForeground(NOTIFICATION_ID, n, ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE);
    } else {
      startForeground(NOTIFICATION_ID, n);
    }
    if (core != null) {
      core.pollNow();
      return START_STICKY;
    }
    Credential credential = AndroidState.credential(this);
    if (credential == null) {
      // Not enrolled: keep only the stored blocks.
      BlockVpnService.apply(this);
      status = "not enrolled";
      stopSelf();
      return START_NOT_STICKY;
    }
    loop = Executors.newSingleThreadScheduledExecutor();
    NetworkStatsManager nsm = getSystemService(NetworkStatsManager.class);
    core = new AgentCore(AndroidState.dir(this), credential,
        new AndroidStatsSource(getPackageManager(), AndroidStatsSource.of(nsm)), JavaWebSocketTransport.FACTORY,
        new AndroidHello(this), new Events(), Clock.SYSTEM, loop, new AgentCore.Options(), new SecureRandom());
    core.start();
    return START_STICKY;
  }

  @Override
  public void onDestroy() {
    if (core != null) core.stop();
    if (loop != null) loop.shutdown();
    core = null;
    status = "stopped";
    super.onDestroy();
  }

  @Override
  public IBinder onBind(Intent intent) {
    return null;
  }

  private Notification notification(String text) {
    Intent open = new Intent(this, MainActivity.class);
    PendingIntent pi = PendingIntent.getActivity(this, 0, open, PendingIntent.FLAG_IMMUTABLE);
    int icon = getResources().getIdentifier("ic_notify", "drawable", getPackageName());
    return new Notification.Builder(this, CHANNEL)
        .setSmallIcon(icon != 0 ? icon : android.R.drawable.stat_sys_warning)
        .setContentTitle("Packet Pilot")
        .setContentText(text)
        .setContentIntent(pi)
        .setOngoing(true)
        .build();
  }

  private void show(String text) {
    status = text;
    getSystemService(NotificationManager.class).notify(NOTIFICATION_ID, notification(text));
  }

  private final class Events extends AgentEvents.Adapter {
    private String blocking = "";

    @Override
    public void welcomed(long agentId, long deviceId, int heartbeatSeconds) {
      show("Connected to the gateway" + blocking);
    }

    @Override
    public void policy(List<String> blockedApps, boolean changed, boolean fromGateway) {
      blocking = blockedApps.isEmpty() ? "" : " · " + blockedApps.size() + " app(s) blocked";
      BlockVpnService.apply(AgentService.this);
    }

    @Override
    public void disconnected(int code, String reason, long retryInMs) {
      show("Gateway unreachable; retrying in " + Math.max(1, retryInMs / 1000) + " s" + blocking);
    }

    @Override
    public void refused(String reason) {
      Log.w(TAG, "the gateway refused this agent (" + reason + "): enroll again");
      show("Refused by the gateway: enroll again");
    }

    @Override
    public void statsUnavailable(String reason) {
      show("Usage access needed: open the app" + blocking);
    }

    @Override
    public void reportSent(UsageLedger.Report report) {
      Log.d(TAG, "appUsage seq " + report.seq + ": " + report.apps.size() + " app(s)");
    }

    @Override
    public void problem(String what, Exception e) {
      Log.w(TAG, what + (e == null ? "" : ": " + e.getMessage()));
    }
  }
}
