package androidx.test.internal.platform.util;

/** Stand-in (see androidx/test/package-info.java). */
public final class TestOutputEmitter {
  private TestOutputEmitter() {}

  public static void dumpThreadStates(String outputFileName) {}
}
