package com.packetpilot.agent.android;

import android.Manifest;
import android.app.Activity;
import android.app.AppOpsManager;
import android.content.Intent;
import android.content.pm.PackageManager;
import android.net.Uri;
import android.net.VpnService;
import android.os.Build;
import android.os.Bundle;
import android.os.Handler;
import android.os.Looper;
import android.os.Process;
import android.provider.Settings;
import android.view.View;
import android.widget.Button;
import android.widget.EditText;
import android.widget.LinearLayout;
import android.widget.TextView;
import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.Enrollment;
import java.io.IOException;

/**
 * The one screen: enrollment (from the QR code's deep link, or a pasted link), the two grants the
 * agent needs (usage access for the counters, VPN consent for blocking), and the agent's status.
 */
public final class MainActivity extends Activity {
  private static final int REQ_VPN = 1;
  private TextView status;
  private EditText link;
  private final Handler main = new Handler(Looper.getMainLooper());

  @Override
  protected void onCreate(Bundle saved) {
    super.onCreate(saved);
    int pad = (int) (16 * getResources().getDisplayMetrics().density);
    LinearLayout root = new LinearLayout(this);
    root.setOrientation(LinearLayout.VERTICAL);
    root.setPadding(pad, pad, pad, pad);
    status = new TextView(this);
    status.setTextIsSelectable(true);
    root.addView(status);
    link = new EditText(this);
    link.setHint("packetpilot://enroll?gateway=…&code=…");
    link.setSingleLine(true);
    root.addView(link);
    root.addView(button("Enroll with this link", new View.OnClickListener() {
      @Override
      public void onClick(View v) {
        enroll(link.getText().toString());
      }
    }));
    root.addView(button("Grant usage access", new View.OnClickListener() {
      @Override
      public void onClick(View v) {
        startActivity(new Intent(Settings.ACTION_USAGE_ACCESS_SETTINGS));
      }
    }));
    root.addView(button("Allow blocking (VPN)", new View.OnClickListener() {
      @Override
      public void onClick(View v) {
        Intent consent = VpnService.prepare(MainActivity.this);
        if (consent != null) startActivityForResult(consent, REQ_VPN);
        else BlockVpnService.apply(MainActivity.this);
        refresh();
      }
    }));
    setContentView(root);
    if (Build.VERSION.SDK_INT >= 33
        && checkSelfPermission(Manifest.permission.POST_NOTIFICATIONS) != PackageManager.PERMISSION_GRANTED) {
      requestPermissions(new String[] {Manifest.permission.POST_NOTIFICATIONS}, 2);
    }
    handleLink(getIntent());
  }

  @Override
  protected void onNewIntent(Intent intent) {
    super.onNewIntent(intent);
    setIntent(intent);
    handleLink(intent);
  }

  @Override
  protected void onResume() {
    super.onResume();
    refresh();
  }

  @Override
  protected void onActivityResult(int request, int result, Intent data) {
    if (request == REQ_VPN && result == RESULT_OK) BlockVpnService.apply(this);
    refresh();
  }

  private Button button(String text, View.OnClickListener onClick) {
    Button b = new Button(this);
    b.setText(text);
    b.setOnClickListener(onClick);
    return b;
  }

  private void handleLink(Intent intent) {
    Uri data = intent == null ? null : intent.getData();
    if (data != null && "packetpilot".equals(data.getScheme())) {
      link.setText(data.toString());
      enroll(data.toString());
    }
  }

  private void enroll(String text) {
    final Enrollment.Link parsed = Enrollment.parseDeepLink(text);
    if (parsed == null) {
      status.setText("Not an enrollment link. Scan the QR code the gateway shows under Agents.");
      return;
    }
    status.setText("Enrolling with " + parsed.gateway + " …");
    final String name = AndroidHello.deviceName(this);
    new Thread(new Runnable() {
      @Override
      public void run() {
        String message;
        try {
          Credential c = Enrollment.enroll(parsed, name, name);
          stopService(new Intent(MainActivity.this, AgentService.class));
          c.save(AndroidState.dir(MainActivity.this));
          AgentService.start(MainActivity.this);
          message = "Enrolled as agent " + c.agentId + ".";
        } catch (Enrollment.RefusedException e) {
          message = "The gateway refused the code (" + e.getMessage() + "). Ask for a new one.";
        } catch (IOException e) {
          message = "Could not reach the gateway: " + e.getMessage();
        }
        final String shown = message;
        main.post(new Runnable() {
          @Override
          public void run() {
            refresh();
            status.append("\n\n" + shown);
          }
        });
      }
    }, "pp-enroll").start();
  }

  private boolean usageAccess() {
    AppOpsManager ops = getSystemService(AppOpsManager.class);
    int mode = ops.unsafeCheckOpNoThrow(AppOpsManager.OPSTR_GET_USAGE_STATS, Process.myUid(), getPackageName());
    return mode == AppOpsManager.MODE_ALLOWED;
  }

  private void refresh() {
    Credential c = AndroidState.credential(this);
    StringBuilder s = new StringBuilder();
    s.append(c == null ? "Not enrolled." : "Enrolled with " + c.gateway + " as agent " + c.agentId + ".");
    s.append("\nAgent: ").append(AgentService.status);
    s.append("\nUsage access: ").append(usageAccess() ? "granted" : "not granted (needed for per-app numbers)");
    s.append("\nVPN consent: ").append(VpnService.prepare(this) == null ? "given" : "not given (needed for blocking)");
    s.append("\nBlocking: ").append(BlockVpnService.status);
    s.append("\nBlocked apps: ").append(AndroidState.policy(this).blocked());
    status.setText(s.toString());
  }
}
