import { runChecked, type CommandRunner } from '../os/runner.js';

/**
 * Turn the box into a router. Note: with ipv6 forwarding on, the kernel ignores router
 * advertisements unless accept_ra=2 on the WAN interface — the daemon's WAN setup owns that.
 */
export async function enableForwarding(runner: CommandRunner, netns?: string): Promise<void> {
  try {
    await runChecked(runner, 'sysctl', ['-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'], {
      netns,
      timeoutMs: 10_000,
    });
  } catch (err) {
    throw new Error(`enable forwarding${netns ? ` in netns ${netns}` : ''}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
