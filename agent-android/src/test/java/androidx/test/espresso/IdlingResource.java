package androidx.test.espresso;

/** Stand-in (see androidx/test/package-info.java). */
public interface IdlingResource {
  String getName();

  boolean isIdleNow();

  void registerIdleTransitionCallback(ResourceCallback callback);

  interface ResourceCallback {
    void onTransitionToIdle();
  }
}
