package androidx.test.internal.platform.content;

/** Stand-in (see androidx/test/package-info.java). */
public interface PermissionGranter {}
