package androidx.test.platform.app;

import android.app.Instrumentation;
import android.os.Bundle;

/** Stand-in (see androidx/test/package-info.java). */
public final class InstrumentationRegistry {
  private static volatile Instrumentation instrumentation;
  private static volatile Bundle arguments;

  private InstrumentationRegistry() {}

  public static Instrumentation getInstrumentation() {
    if (instrumentation == null) throw new IllegalStateException("no instrumentation registered");
    return instrumentation;
  }

  public static Bundle getArguments() {
    return arguments == null ? new Bundle() : new Bundle(arguments);
  }

  public static void registerInstance(Instrumentation i, Bundle args) {
    instrumentation = i;
    arguments = args == null ? null : new Bundle(args);
  }
}
