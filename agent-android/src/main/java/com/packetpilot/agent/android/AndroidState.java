package com.packetpilot.agent.android;

import android.content.Context;
import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.PolicyStore;
import com.packetpilot.agent.core.StateDir;
import java.io.File;
import java.io.IOException;

/** Where the app keeps its credential, policy and usage ledger: app-private, never backed up. */
final class AndroidState {
  private AndroidState() {}

  static StateDir dir(Context context) {
    return new StateDir(new File(context.getNoBackupFilesDir(), "agent"));
  }

  static Credential credential(Context context) {
    try {
      return Credential.load(dir(context));
    } catch (IOException e) {
      return null;
    }
  }

  static PolicyStore policy(Context context) {
    return new PolicyStore(dir(context)).load();
  }
}
