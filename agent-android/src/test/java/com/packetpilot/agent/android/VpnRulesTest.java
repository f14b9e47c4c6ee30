package com.packetpilot.agent.android;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import android.app.Application;
import android.content.pm.IPackageManager;
import android.content.pm.PackageManager;
import android.content.pm.ApplicationInfo;
import android.net.IpPrefix;
import android.net.LinkAddress;
import android.net.RouteInfo;
import android.net.VpnService;
import com.packetpilot.agent.core.PolicyStore;
import java.lang.reflect.Field;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;
import org.robolectric.shadows.ShadowServiceManager;

/** The real VpnService.Builder, configured for a policy: only blocked apps, default routes. */
@RunWith(RobolectricTestRunner.class)
public class VpnRulesTest {
  Application app;

  /** The packages VpnService.Builder asked the system's package manager about. */
  final List<String> verified = new ArrayList<>();

  @Before
  public void setUp() {
    app = RuntimeEnvironment.getApplication();
    Installed.app(app.getPackageManager(), "com.google.android.youtube", "YouTube", 10100);
    Installed.app(app.getPackageManager(), "com.whatsapp", "WhatsApp", 10101);
    Installed.app(app.getPackageManager(), "com.zhiliaoapp.musically", "TikTok", 10102);
    servePackageManager();
  }

  /**
   * Builder.addAllowedApplication checks each package with the system's IPackageManager (the
   * "package" binder service), which Robolectric does not serve: serve one that answers from
   * Robolectric's package manager and records the questions.
   */
  void servePackageManager() {
    try {
      Class<?> type = Class.forName("org.robolectric.shadows.ShadowServiceManager$BinderProxyType");
      Class<?> service = Class.forName("org.robolectric.shadows.ShadowServiceManager$BinderService");
      Constructor<?> make = service.getDeclaredConstructor(Class.class, String.class, type, Object.class);
      make.setAccessible(true);
      Object delegating = null;
      for (Object constant : type.getEnumConstants()) if (constant.toString().equals("DELEGATING")) delegating = constant;
      Object binder = make.newInstance(IPackageManager.class, IPackageManager.class.getName(), delegating,
          new PackageManagerDelegate(app.getPackageManager(), verified));
      Field services = ShadowServiceManager.class.getDeclaredField("binderServices");
      services.setAccessible(true);
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) services.get(null);
      map.put("package", binder);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("serve IPackageManager", e);
    }
  }

  /** The one IPackageManager call the builder makes. */
  public static final class PackageManagerDelegate {
    private final PackageManager pm;
    private final List<String> asked;

    PackageManagerDelegate(PackageManager pm, List<String> asked) {
      this.pm = pm;
      this.asked = asked;
    }

    public ApplicationInfo getApplicationInfo(String pkg, long flags, int userId) {
      asked.add(pkg);
      try {
        return pm.getApplicationInfo(pkg, 0);
      } catch (PackageManager.NameNotFoundException e) {
        return null;
      }
    }
  }

  static Object config(VpnService.Builder b) throws Exception {
    return builderField(b, "mConfig");
  }

  /** The builder keeps addresses and routes apart from its VpnConfig until establish(). */
  static Object builderField(VpnService.Builder b, String name) throws Exception {
    Field f = VpnService.Builder.class.getDeclaredField(name);
    f.setAccessible(true);
    return f.get(b);
  }

  @SuppressWarnings("unchecked")
  static <T> T get(Object config, String field) throws Exception {
    Field f = config.getClass().getField(field);
    return (T) f.get(config);
  }

  static List<String> strings(List<?> items) {
    List<String> out = new ArrayList<>();
    for (Object o : items) out.add(o.toString());
    return out;
  }

  @Test
  public void onlyTheBlockedAppsThatAreInstalledNeverThisApp() {
    List<String> apps = VpnRules.installed(
        Arrays.asList("com.zhiliaoapp.musically", "com.not.installed", app.getPackageName(), "com.google.android.youtube"),
        app.getPackageManager(), app.getPackageName());
    assertEquals(Arrays.asList("com.zhiliaoapp.musically", "com.google.android.youtube"), apps);
  }

  @Test
  public void builderCapturesOnlyThoseAppsWithDefaultRoutesForBothFamilies() throws Exception {
    BlockVpnService service = Robolectric.setupService(BlockVpnService.class);
    VpnService.Builder builder = service.new Builder();
    List<String> added = VpnRules.configure(builder, Arrays.asList("com.zhiliaoapp.musically", "com.google.android.youtube"));
    assertEquals(Arrays.asList("com.zhiliaoapp.musically", "com.google.android.youtube"), added);
    assertEquals(added, verified);

    Object config = config(builder);
    assertEquals(added, get(config, "allowedApplications"));
    assertNull("never a disallow list (that would capture every other app)", get(config, "disallowedApplications"));
    List<String> routes = new ArrayList<>();
    for (Object r : (List<?>) builderField(builder, "mRoutes")) {
      IpPrefix p = ((RouteInfo) r).getDestination();
      routes.add((p.getAddress() instanceof Inet4Address ? "IPv4 " : "IPv6 ") + (p.getAddress().isAnyLocalAddress() ? "any" : p.getAddress()) + "/" + p.getPrefixLength());
    }
    assertEquals("default routes: all of the blocked apps' traffic enters the VPN",
        Arrays.asList("IPv4 any/0", "IPv6 any/0"), routes);
    List<String> addresses = new ArrayList<>();
    for (Object a : (List<?>) builderField(builder, "mAddresses")) {
      LinkAddress l = (LinkAddress) a;
      addresses.add(l.getAddress().equals(InetAddress.getByName(VpnRules.ADDRESS4)) ? "v4/" + l.getPrefixLength()
          : l.getAddress().equals(InetAddress.getByName(VpnRules.ADDRESS6)) ? "v6/" + l.getPrefixLength() : l.toString());
    }
    assertEquals(Arrays.asList("v4/32", "v6/128"), addresses);
    assertEquals(VpnRules.MTU, (int) VpnRulesTest.<Integer>get(config, "mtu"));
    assertEquals(VpnRules.SESSION, get(config, "session"));
    assertTrue("the sink reads with poll(), blocking", VpnRulesTest.<Boolean>get(config, "blocking"));
    assertFalse("blocked apps may not bypass it", VpnRulesTest.<Boolean>get(config, "allowBypass"));
    assertFalse(VpnRulesTest.<Boolean>get(config, "isMetered"));
    List<?> dns = get(config, "dnsServers");
    assertTrue("no DNS server: blocked apps' lookups fail at once", dns == null || dns.isEmpty());
  }

  @Test
  public void oneBlockedAppOneAllowedApplication() throws Exception {
    BlockVpnService service = Robolectric.setupService(BlockVpnService.class);
    VpnService.Builder builder = service.new Builder();
    List<String> apps = VpnRules.installed(Arrays.asList("com.gone", "com.whatsapp"), app.getPackageManager(), app.getPackageName());
    assertEquals(Collections.singletonList("com.whatsapp"), VpnRules.configure(builder, apps));
    assertEquals(Collections.singletonList("com.whatsapp"), get(config(builder), "allowedApplications"));
  }

  @Test
  public void theVpnStaysDownWhenNothingIsBlockedOrNothingBlockedIsInstalled() throws Exception {
    BlockVpnService service = Robolectric.setupService(BlockVpnService.class);
    assertFalse(service.applyPolicy());
    assertEquals("off: nothing blocked", BlockVpnService.status);
    new PolicyStore(AndroidState.dir(app)).save(Arrays.asList("com.not.installed"), 1);
    assertFalse(service.applyPolicy());
    assertEquals("off: no blocked app is installed", BlockVpnService.status);
  }
}
