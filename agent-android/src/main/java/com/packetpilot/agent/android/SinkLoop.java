package com.packetpilot.agent.android;

import android.os.ParcelFileDescriptor;
import android.system.ErrnoException;
import android.system.Os;
import android.system.OsConstants;
import android.system.StructPollfd;
import com.packetpilot.agent.packet.PacketSink;
import java.io.FileDescriptor;
import java.io.IOException;

/**
 * Reads the VPN's tun device and answers every packet with what PacketSink says (RST, ICMP
 * unreachable, or nothing). Sleeps in poll() until a packet or the stop signal arrives: no timer,
 * no wake-ups while the blocked apps are quiet.
 */
final class SinkLoop implements Runnable {
  private final ParcelFileDescriptor tun;
  private final FileDescriptor stopRead;
  private final FileDescriptor stopWrite;
  final PacketSink sink = new PacketSink();
  private final Thread thread;

  SinkLoop(ParcelFileDescriptor tun) throws ErrnoException {
    this.tun = tun;
    FileDescriptor[] pipe = Os.pipe();
    stopRead = pipe[0];
    stopWrite = pipe[1];
    thread = new Thread(this, "pp-vpn-sink");
  }

  void start() {
    thread.start();
  }

  /** Stops the reader, then closes the tun device. */
  void stop() {
    try {
      Os.write(stopWrite, new byte[] {1}, 0, 1);
      thread.join(2000);
    } catch (ErrnoException | java.io.InterruptedIOException | InterruptedException e) {
      // closing below ends it anyway
    }
    closeQuietly(stopRead);
    closeQuietly(stopWrite);
    try {
      tun.close();
    } catch (IOException e) {
      // already gone
    }
  }

  @Override
  public void run() {
    FileDescriptor fd = tun.getFileDescriptor();
    byte[] buf = new byte[32767];
    StructPollfd in = new StructPollfd();
    in.fd = fd;
    in.events = (short) OsConstants.POLLIN;
    StructPollfd stop = new StructPollfd();
    stop.fd = stopRead;
    stop.events = (short) OsConstants.POLLIN;
    StructPollfd[] fds = {in, stop};
    while (true) {
      try {
        in.revents = 0;
        stop.revents = 0;
        Os.poll(fds, -1);
        if (stop.revents != 0) return;
        if ((in.revents & (OsConstants.POLLERR | OsConstants.POLLHUP | OsConstants.POLLNVAL)) != 0) return;
        if ((in.revents & OsConstants.POLLIN) == 0) continue;
        int n = Os.read(fd, buf, 0, buf.length);
        if (n <= 0) continue;
        byte[] reply = sink.handle(buf, n);
        if (reply != null) Os.write(fd, reply, 0, reply.length);
      } catch (ErrnoException e) {
        if (e.errno == OsConstants.EINTR || e.errno == OsConstants.EAGAIN) continue;
        return;
      } catch (java.io.InterruptedIOException e) {
        continue;
      }
    }
  }

  private static void closeQuietly(FileDescriptor fd) {
    try {
      Os.close(fd);
    } catch (ErrnoException e) {
      // nothing to do
    }
  }
}
