/**
 * Stand-ins for the few androidx.test:monitor types Robolectric links against. Robolectric is on
 * Maven Central but androidx.test:monitor is served only from Google's Maven repository, which
 * these machines cannot reach, so the Robolectric tests bring these minimal versions (written for
 * this project from the signatures Robolectric calls, not copied) on the test classpath. They are
 * never part of the app.
 */
package androidx.test;
