package com.packetpilot.agent.android;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

import android.app.Application;
import android.content.Intent;
import com.packetpilot.agent.core.Credential;
import com.packetpilot.agent.core.PolicyStore;
import java.io.File;
import java.util.Arrays;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Start at boot: the agent when enrolled, else only the stored blocks; and the manifest says so. */
@RunWith(RobolectricTestRunner.class)
public class BootReceiverTest {
  Application app;

  @Before
  public void setUp() {
    app = RuntimeEnvironment.getApplication();
  }

  Intent nextStarted() {
    return shadowOf(app).getNextStartedService();
  }

  @Test
  public void enrolledPhoneStartsTheAgentServiceAtBoot() throws Exception {
    new Credential("http://192.168.1.1:8080", 12, 3, "s3cr3t").save(AndroidState.dir(app));
    new BootReceiver().onReceive(app, new Intent(Intent.ACTION_BOOT_COMPLETED));
    Intent started = nextStarted();
    assertEquals(AgentService.class.getName(), started.getComponent().getClassName());
  }

  @Test
  public void notEnrolledButBlockingStartsTheVpnWithTheStoredPolicy() throws Exception {
    new PolicyStore(AndroidState.dir(app)).save(Arrays.asList("com.zhiliaoapp.musically"), 1);
    new BootReceiver().onReceive(app, new Intent(Intent.ACTION_BOOT_COMPLETED));
    Intent started = nextStarted();
    assertEquals(BlockVpnService.class.getName(), started.getComponent().getClassName());
    assertEquals(BlockVpnService.ACTION_APPLY, started.getAction());
  }

  @Test
  public void anAppUpdateRestartsItToo() throws Exception {
    new Credential("http://gw", 1, -1, "s").save(AndroidState.dir(app));
    new BootReceiver().onReceive(app, new Intent(Intent.ACTION_MY_PACKAGE_REPLACED));
    assertEquals(AgentService.class.getName(), nextStarted().getComponent().getClassName());
  }

  @Test
  public void nothingToDoNothingStarted() {
    new BootReceiver().onReceive(app, new Intent(Intent.ACTION_BOOT_COMPLETED));
    assertNull(nextStarted());
    new Credential("http://gw", 1, -1, "s");
    new BootReceiver().onReceive(app, new Intent(Intent.ACTION_TIME_CHANGED));
    assertNull(nextStarted());
  }

  @Test
  public void theManifestDeclaresTheReceiverItsPermissionAndTheServices() throws Exception {
    Document m = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new File(System.getProperty("packetpilot.manifest", "src/main/AndroidManifest.xml")));
    assertTrue(permissions(m).contains("android.permission.RECEIVE_BOOT_COMPLETED"));
    assertTrue(permissions(m).contains("android.permission.PACKAGE_USAGE_STATS"));
    Element receiver = component(m, "receiver", ".android.BootReceiver");
    assertTrue(actions(receiver).contains("android.intent.action.BOOT_COMPLETED"));
    Element vpn = component(m, "service", ".android.BlockVpnService");
    assertEquals("android.permission.BIND_VPN_SERVICE", vpn.getAttribute("android:permission"));
    assertTrue(actions(vpn).contains("android.net.VpnService"));
    Element agent = component(m, "service", ".android.AgentService");
    assertEquals("specialUse", agent.getAttribute("android:foregroundServiceType"));
    Element activity = component(m, "activity", ".android.MainActivity");
    NodeList data = activity.getElementsByTagName("data");
    assertEquals("packetpilot", ((Element) data.item(0)).getAttribute("android:scheme"));
    assertEquals("enroll", ((Element) data.item(0)).getAttribute("android:host"));
  }

  private static String permissions(Document m) {
    StringBuilder s = new StringBuilder();
    NodeList l = m.getElementsByTagName("uses-permission");
    for (int i = 0; i < l.getLength(); i++) s.append(((Element) l.item(i)).getAttribute("android:name")).append('\n');
    return s.toString();
  }

  private static Element component(Document m, String tag, String name) {
    NodeList l = m.getElementsByTagName(tag);
    for (int i = 0; i < l.getLength(); i++) {
      Element e = (Element) l.item(i);
      if (e.getAttribute("android:name").equals(name)) return e;
    }
    throw new AssertionError("no " + tag + " " + name);
  }

  private static String actions(Element component) {
    StringBuilder s = new StringBuilder();
    NodeList l = component.getElementsByTagName("action");
    for (int i = 0; i < l.getLength(); i++) s.append(((Element) l.item(i)).getAttribute("android:name")).append('\n');
    return s.toString();
  }
}
