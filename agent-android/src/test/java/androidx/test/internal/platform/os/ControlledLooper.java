package androidx.test.internal.platform.os;

/** Stand-in (see androidx/test/package-info.java). */
public interface ControlledLooper {}
