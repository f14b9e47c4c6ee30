package com.packetpilot.agent.android;

import static org.robolectric.Shadows.shadowOf;

import android.content.pm.ApplicationInfo;
import android.content.pm.PackageInfo;
import android.content.pm.PackageManager;

/** Installs fake apps into Robolectric's package manager. */
final class Installed {
  private Installed() {}

  static void app(PackageManager pm, String pkg, String label, int uid) {
    PackageInfo info = new PackageInfo();
    info.packageName = pkg;
    info.applicationInfo = new ApplicationInfo();
    info.applicationInfo.packageName = pkg;
    info.applicationInfo.uid = uid;
    info.applicationInfo.nonLocalizedLabel = label;
    shadowOf(pm).installPackage(info);
  }
}
