package androidx.test.platform.ui;

/** Stand-in (see androidx/test/package-info.java). */
public class InjectEventSecurityException extends Exception {
  private static final long serialVersionUID = 1L;
}
