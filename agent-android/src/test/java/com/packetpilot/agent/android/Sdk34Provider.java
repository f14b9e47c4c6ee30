package com.packetpilot.agent.android;

import java.util.TreeMap;
import javax.annotation.Priority;
import org.robolectric.internal.dependency.DependencyResolver;
import org.robolectric.pluginapi.Sdk;
import org.robolectric.plugins.DefaultSdkProvider;

/**
 * Robolectric's SDKs up to API 34, the app's target. Without it Robolectric also wants the newest
 * framework jar it knows (API 35) for resources; with it the one android-all jar Maven already
 * fetched to compile the app is all the tests need (robolectric.offline, see the pom).
 * Registered in META-INF/services/org.robolectric.pluginapi.SdkProvider.
 */
@Priority(1)
public final class Sdk34Provider extends DefaultSdkProvider {
  public static final int MAX_SDK = 34;

  public Sdk34Provider(DependencyResolver resolver) {
    super(resolver);
  }

  @Override
  protected void populateSdks(TreeMap<Integer, Sdk> sdks) {
    super.populateSdks(sdks);
    sdks.tailMap(MAX_SDK, false).clear();
  }
}
