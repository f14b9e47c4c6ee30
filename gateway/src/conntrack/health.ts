import type { CommandRunner } from '../os/runner.js';

export interface ConntrackProblem {
  code: 'conntrack_acct_off' | 'conntrack_events_off' | 'conntrack_unavailable';
  message: string;
}

/**
 * Start-up checks (nlbwmon #35). Both sysctls are per network namespace and acct only applies
 * to flows created after it was switched on, so a late fix still leaves older flows uncounted.
 */
export async function checkConntrack(runner: CommandRunner, netns?: string): Promise<ConntrackProblem[]> {
  const keys = ['net.netfilter.nf_conntrack_acct', 'net.netfilter.nf_conntrack_events'];
  const res = await runner.run('sysctl', keys, { netns, timeoutMs: 10_000 });
  const values = new Map<string, string>();
  for (const line of res.stdout.split('\n')) {
    const m = /^(\S+)\s*=\s*(\S+)/.exec(line);
    if (m) values.set(m[1]!, m[2]!);
  }
  if (values.size === 0) {
    return [
      {
        code: 'conntrack_unavailable',
        message: `cannot read conntrack sysctls (is nf_conntrack loaded?): ${res.stderr.trim()}`,
      },
    ];
  }
  const problems: ConntrackProblem[] = [];
  if (values.get(keys[0]!) !== '1') {
    problems.push({
      code: 'conntrack_acct_off',
      message: 'net.netfilter.nf_conntrack_acct is not 1: flows carry no byte counters',
    });
  }
  if (values.get(keys[1]!) === '0') {
    problems.push({
      code: 'conntrack_events_off',
      message: 'net.netfilter.nf_conntrack_events is 0: no flow events',
    });
  }
  return problems;
}

/**
 * Switch on what the checks above look for. A failure is not fatal (device totals come from
 * nft); the caller reports what checkConntrack still finds.
 */
export async function enableConntrackAccounting(
  runner: CommandRunner,
  netns?: string,
): Promise<string | null> {
  const res = await runner.run(
    'sysctl',
    ['-w', 'net.netfilter.nf_conntrack_acct=1', 'net.netfilter.nf_conntrack_events=1'],
    { netns, timeoutMs: 10_000 },
  );
  return res.code === 0 ? null : res.stderr.trim() || `sysctl exited ${res.code}`;
}
