package com.packetpilot.agent.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Collections;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class PolicyStoreTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void nothingBlockedUntilAPolicyArrives() throws Exception {
    PolicyStore p = new PolicyStore(new StateDir(tmp.getRoot())).load();
    assertEquals(Collections.emptyList(), p.blocked());
    assertEquals(-1, p.receivedAt());
  }

  @Test
  public void survivesARestartSortedWithoutDuplicatesOrBlanks() throws Exception {
    StateDir dir = new StateDir(tmp.getRoot());
    assertTrue(new PolicyStore(dir).load().save(Arrays.asList("com.b", " com.a ", "com.b", "", "  "), 1234));
    PolicyStore again = new PolicyStore(dir).load();
    assertEquals(Arrays.asList("com.a", "com.b"), again.blocked());
    assertEquals(1234, again.receivedAt());
    assertFalse("same set: not a change", again.save(Arrays.asList("com.a", "com.b"), 2000));
    assertTrue(again.save(Collections.<String>emptyList(), 3000));
    assertEquals(Collections.emptyList(), new PolicyStore(dir).load().blocked());
  }

  @Test
  public void aDamagedFileBlocksNothing() throws Exception {
    Files.write(new File(tmp.getRoot(), PolicyStore.FILE).toPath(), "{\"blockedApps\":".getBytes(StandardCharsets.UTF_8));
    assertEquals(Collections.emptyList(), new PolicyStore(new StateDir(tmp.getRoot())).load().blocked());
  }

  @Test
  public void writesAreAtomicAndPrivate() throws Exception {
    StateDir dir = new StateDir(new File(tmp.getRoot(), "nested/state"));
    new PolicyStore(dir).save(Arrays.asList("com.a"), 1);
    File f = new File(dir.dir(), PolicyStore.FILE);
    assertTrue(f.isFile());
    assertFalse("no temp file left", new File(dir.dir(), PolicyStore.FILE + ".tmp").exists());
    assertFalse(f.canExecute());
  }

  @Test
  public void clearForgetsIt() throws Exception {
    StateDir dir = new StateDir(tmp.getRoot());
    PolicyStore p = new PolicyStore(dir);
    p.save(Arrays.asList("com.a"), 1);
    p.clear();
    assertEquals(Collections.emptyList(), p.blocked());
    assertEquals(Collections.emptyList(), new PolicyStore(dir).load().blocked());
  }
}
