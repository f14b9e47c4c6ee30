package androidx.test.internal.platform.app;

/** Stand-in (see androidx/test/package-info.java). */
public interface ActivityInvoker {}
