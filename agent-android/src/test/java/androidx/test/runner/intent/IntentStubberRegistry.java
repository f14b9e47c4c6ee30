package androidx.test.runner.intent;

/** Stand-in (see androidx/test/package-info.java): no intent stubbing. */
public final class IntentStubberRegistry {
  private IntentStubberRegistry() {}

  public static boolean isLoaded() {
    return false;
  }

  public static IntentStubber getInstance() {
    throw new IllegalStateException("no intent stubber");
  }
}
