import type { CommandRunner } from '../os/runner.js';

export class PreflightError extends Error {
  override name = 'PreflightError';
}

interface LinkAddr {
  ifname?: string;
  operstate?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

export interface InterfaceAddress {
  address: string;
  prefixlen: number;
}

/** The interface's addresses; throws a clear error when the interface does not exist. */
export async function interfaceAddresses(
  runner: CommandRunner,
  ifname: string,
  role: string,
): Promise<InterfaceAddress[]> {
  const res = await runner.run('ip', ['-j', 'addr', 'show', 'dev', ifname]);
  if (res.code !== 0) {
    throw new PreflightError(
      `--${role} ${ifname}: no such network interface (${res.stderr.trim() || `ip exited ${res.code}`}); ` +
        'list interfaces with `ip link`',
    );
  }
  const links = JSON.parse(res.stdout) as LinkAddr[];
  return (links[0]?.addr_info ?? [])
    .filter((a) => a.scope === 'global')
    .map((a) => ({ address: a.local, prefixlen: a.prefixlen }));
}

export function requireRoot(getuid: (() => number) | undefined = process.getuid): void {
  if (getuid && getuid() !== 0) {
    throw new PreflightError(
      'the gateway needs root: it owns an nftables table and reads conntrack (try sudo)',
    );
  }
}
