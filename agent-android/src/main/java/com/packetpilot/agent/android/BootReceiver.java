package com.packetpilot.agent.android;

import android.content.BroadcastReceiver;
import android.content.Context;
import android.content.Intent;

/**
 * After a reboot (or an app update) the agent starts again: the service when the phone is
 * enrolled, else just the stored blocks. Starting a foreground service from BOOT_COMPLETED is
 * allowed for the specialUse type.
 */
public final class BootReceiver extends BroadcastReceiver {
  @Override
  public void onReceive(Context context, Intent intent) {
    String action = intent == null ? null : intent.getAction();
    if (!Intent.ACTION_BOOT_COMPLETED.equals(action) && !Intent.ACTION_MY_PACKAGE_REPLACED.equals(action)) return;
    if (AndroidState.credential(context) != null) {
      AgentService.start(context);
    } else if (!AndroidState.policy(context).blocked().isEmpty()) {
      BlockVpnService.apply(context);
    }
  }
}
