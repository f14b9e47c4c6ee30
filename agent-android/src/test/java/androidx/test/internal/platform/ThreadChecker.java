package androidx.test.internal.platform;

/** Stand-in (see androidx/test/package-info.java). */
public interface ThreadChecker {}
