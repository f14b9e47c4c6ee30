package androidx.test.runner.intent;

/** Stand-in (see androidx/test/package-info.java). */
public interface IntentMonitor {}
