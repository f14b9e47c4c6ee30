/**
 * What the Linux blocker tells the kernel, as pure functions (unit-tested as text/argv):
 * the nft table `inet packetpilot_agent`, `ss -K` arguments, and where cgroup v2 is mounted.
 */
import { isLocalOnly } from '../collect/address.js';
import type { SocketOwner } from '../collect/collector.js';

export const NFT_TABLE = 'inet packetpilot_agent';
/** nft resolves `socket cgroupv2` paths relative to this directory (SYSFS_CGROUPSV2_PATH in nftables). */
export const NFT_CGROUP_BASE = '/sys/fs/cgroup';

export interface Cgroup2Mount {
  mountPoint: string;
  /** The hierarchy path mounted there ("/" unless a subtree is bind-mounted). */
  root: string;
}

/** /proc/self/mountinfo → the cgroup2 mount (the first, if several). */
export function findCgroup2(mountinfo: string): Cgroup2Mount | null {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right || right.split(' ')[0] !== 'cgroup2') continue;
    const f = left.split(' ');
    const root = f[3];
    const mountPoint = f[4];
    if (root && mountPoint) return { root: unescapeMount(root), mountPoint: unescapeMount(mountPoint) };
  }
  return null;
}

/** Whether anything is mounted exactly at `dir`, per /proc/self/mountinfo. */
export function mountedAt(mountinfo: string, dir: string): boolean {
  return mountinfo.split('\n').some((line) => {
    const mountPoint = line.split(' - ')[0]?.split(' ')[4];
    return mountPoint !== undefined && unescapeMount(mountPoint) === dir;
  });
}

/** mountinfo escapes space, tab, newline and backslash as \040 etc. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export interface BlockCgroup {
  /** Directory of the cgroup, e.g. /sys/fs/cgroup/packetpilot-blocked. */
  dir: string;
  /** Its path in the hierarchy, as /proc/<pid>/cgroup shows it: /packetpilot-blocked. */
  path: string;
  /** The same cgroup as nft names it: relative to /sys/fs/cgroup ("unified/…" on hybrid systems). */
  nftPath: string;
  /** Its depth in the cgroup v2 hierarchy: `socket cgroupv2 level N`. */
  level: number;
}

/** Where our cgroup lives on this mount, or null if nft cannot name it (mounted outside /sys/fs/cgroup). */
export function blockCgroup(mount: Cgroup2Mount, name: string): BlockCgroup | null {
  const mp = mount.mountPoint.replace(/\/+$/, '');
  if (mp !== NFT_CGROUP_BASE && !mp.startsWith(`${NFT_CGROUP_BASE}/`)) return null;
  const sub = mp.slice(NFT_CGROUP_BASE.length).replace(/^\//, '');
  const root = mount.root.split('/').filter(Boolean);
  return {
    dir: `${mp}/${name}`,
    path: `/${[...root, name].join('/')}`,
    nftPath: sub ? `${sub}/${name}` : name,
    level: root.length + 1,
  };
}

/**
 * The whole table, replaced in one transaction (create-if-missing, delete, define): sockets made by
 * processes in the blocked cgroup get a TCP reset or an ICMP "administratively prohibited" on
 * their first packet, so a blocked app's connect() fails at once instead of hanging. Loopback stays
 * open (local IPC is not network use).
 */
export function nftTableScript(cg: Pick<BlockCgroup, 'nftPath' | 'level'>): string {
  const match = `socket cgroupv2 level ${cg.level} ${JSON.stringify(cg.nftPath)}`;
  return [
    `table ${NFT_TABLE} {}`,
    `delete table ${NFT_TABLE}`,
    `table ${NFT_TABLE} {`,
    '  chain output {',
    '    type filter hook output priority filter; policy accept;',
    '    oifname "lo" accept',
    `    ${match} meta l4proto tcp counter reject with tcp reset`,
    `    ${match} counter reject with icmpx admin-prohibited`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export const NFT_DELETE_ARGS = ['delete', 'table', 'inet', 'packetpilot_agent'] as const;

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Sockets whose destruction is worth it: connected, to somewhere off this machine. */
export function killable(s: SocketOwner): boolean {
  return !s.listening && s.remote.port !== 0 && !isLocalOnly(s.remote.address);
}

/**
 * `ss -K` (SOCK_DESTROY; needs CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY) for exactly these
 * sockets: one run per protocol and per 32 sockets, each socket as `( src A:p and dst B:q )`.
 */
export function ssKillArgs(sockets: readonly SocketOwner[], perRun = 32): string[][] {
  const runs: string[][] = [];
  for (const proto of ['tcp', 'udp'] as const) {
    const of = sockets.filter((s) => s.proto === proto);
    for (let i = 0; i < of.length; i += perRun) {
      const filter: string[] = [];
      for (const s of of.slice(i, i + perRun)) {
        if (filter.length > 0) filter.push('or');
        filter.push('(', 'src', hostPort(s.local.address, s.local.port), 'and');
        filter.push('dst', hostPort(s.remote.address, s.remote.port), ')');
      }
      runs.push(['-K', '-nH', proto === 'tcp' ? '-t' : '-u', ...filter]);
    }
  }
  return runs;
}

/** /proc/<pid>/cgroup → the process's cgroup v2 path (`0::/user.slice/…`). */
export function parseProcCgroup(text: string): string | null {
  const m = /^0::(\/.*)$/m.exec(text);
  return m?.[1] ?? null;
}
