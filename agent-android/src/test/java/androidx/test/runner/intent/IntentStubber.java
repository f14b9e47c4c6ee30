package androidx.test.runner.intent;

import android.app.Instrumentation;
import android.content.Intent;

/** Stand-in (see androidx/test/package-info.java). */
public interface IntentStubber {
  Instrumentation.ActivityResult getActivityResultForIntent(Intent intent);
}
