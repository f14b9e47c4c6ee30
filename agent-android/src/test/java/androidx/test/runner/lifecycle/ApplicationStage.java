package androidx.test.runner.lifecycle;

/** Stand-in (see androidx/test/package-info.java). */
public enum ApplicationStage {
  PRE_ON_CREATE, CREATED
}
