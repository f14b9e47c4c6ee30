package androidx.test.platform.ui;

/** Stand-in (see androidx/test/package-info.java). */
public interface UiController {}
