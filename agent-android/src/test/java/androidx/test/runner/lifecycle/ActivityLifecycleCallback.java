package androidx.test.runner.lifecycle;

import android.app.Activity;

/** Stand-in (see androidx/test/package-info.java). */
public interface ActivityLifecycleCallback {
  void onActivityLifecycleChanged(Activity activity, Stage stage);
}
