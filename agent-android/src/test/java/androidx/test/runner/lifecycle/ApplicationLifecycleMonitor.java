package androidx.test.runner.lifecycle;

/** Stand-in (see androidx/test/package-info.java). */
public interface ApplicationLifecycleMonitor {}
