package androidx.test.runner.lifecycle;

/** Stand-in (see androidx/test/package-info.java). */
public final class ActivityLifecycleMonitorRegistry {
  private static volatile ActivityLifecycleMonitor instance;

  private ActivityLifecycleMonitorRegistry() {}

  public static ActivityLifecycleMonitor getInstance() {
    if (instance == null) throw new IllegalStateException("no activity lifecycle monitor registered");
    return instance;
  }

  public static void registerInstance(ActivityLifecycleMonitor monitor) {
    instance = monitor;
  }
}
