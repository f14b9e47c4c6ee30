package com.packetpilot.agent.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The agent's private files (on a phone: the app's internal storage, which no other app can read).
 * Writes are atomic: a new file is written, synced, then renamed over the old one, so a crash or a
 * power cut leaves the old or the new content, never half of one.
 */
public final class StateDir {
  private final File dir;

  public StateDir(File dir) {
    this.dir = dir;
  }

  public File dir() {
    return dir;
  }

  /** The file's text, or null if it does not exist. */
  public String read(String name) throws IOException {
    File f = new File(dir, name);
    InputStream in;
    try {
      in = new FileInputStream(f);
    } catch (FileNotFoundException e) {
      return null;
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) out.write(buf, 0, n);
      return new String(out.toByteArray(), StandardCharsets.UTF_8);
    } finally {
      in.close();
    }
  }

  public void write(String name, String text) throws IOException {
    if (!dir.isDirectory() && !dir.mkdirs()) throw new IOException("cannot create " + dir);
    File tmp = new File(dir, name + ".tmp");
    FileOutputStream out = new FileOutputStream(tmp);
    try {
      ownerOnly(tmp);
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.getFD().sync();
    } finally {
      out.close();
    }
    File target = new File(dir, name);
    if (!tmp.renameTo(target)) {
      if (!target.delete() || !tmp.renameTo(target)) throw new IOException("cannot replace " + target);
    }
  }

  public void delete(String name) {
    File f = new File(dir, name);
    if (f.exists() && !f.delete()) f.deleteOnExit();
  }

  private static void ownerOnly(File f) {
    f.setReadable(false, false);
    f.setReadable(true, true);
    f.setWritable(false, false);
    f.setWritable(true, true);
  }
}
