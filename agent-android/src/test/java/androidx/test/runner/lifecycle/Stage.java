package androidx.test.runner.lifecycle;

/** Stand-in (see androidx/test/package-info.java). */
public enum Stage {
  PRE_ON_CREATE, CREATED, STARTED, RESUMED, PAUSED, STOPPED, RESTARTED, DESTROYED
}
