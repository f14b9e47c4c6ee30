import { isIP } from 'node:net';
import { CommandError, type CommandRunner, type RunResult } from '../os/runner.js';

const CONNTRACK = 'conntrack';

/** Flows whose original direction goes from `src` (a device address) to `dst` (any when absent). */
export interface FlowSelector {
  src: string;
  dst?: string;
  /** Only flows whose conntrack mark has all these bits (a block's tag on flows it caught). */
  markBits?: number;
}

export interface KillFlowsOptions {
  netns?: string;
  /** How many `conntrack -D` run at once. */
  concurrency?: number;
  timeoutMs?: number;
}

const DEFAULT_CONCURRENCY = 4;
const DELETED = /(\d+) flow entr(?:y has|ies have) been deleted/;

/**
 * The count from `conntrack -D`'s summary line (stderr), or null when there is none. conntrack
 * exits 1 when nothing matched ("0 flow entries have been deleted."): that is a count, not an error.
 */
export function parseDeletedCount(stderr: string): number | null {
  const m = DELETED.exec(stderr);
  return m ? Number(m[1]) : null;
}

export function killFlowsArgs(sel: FlowSelector): string[] {
  const v = isIP(sel.src);
  if (v === 0) throw new TypeError(`kill flows: src is not an IP address: ${JSON.stringify(sel.src)}`);
  if (sel.dst !== undefined && isIP(sel.dst) !== v) {
    throw new TypeError(`kill flows: dst ${JSON.stringify(sel.dst)} is not an IPv${v} address like src`);
  }
  // -s/-d match the original tuple: the device's own connections, before NAT.
  return [
    '-D',
    ...(v === 6 ? ['-f', 'ipv6'] : []),
    '-s',
    sel.src,
    ...(sel.dst !== undefined ? ['-d', sel.dst] : []),
    ...(sel.markBits !== undefined
      ? ['--mark', `0x${sel.markBits.toString(16)}/0x${sel.markBits.toString(16)}`]
      : []),
  ];
}

/**
 * Delete the conntrack entries of live flows so a new block also ends connections that are
 * already open: with the entry gone, the device's next packet is a new flow that meets the drop
 * rule, and the remote's packets find no NAT mapping (the gateway answers them with a reset).
 * Selectors run in parallel, a few at a time; resolves with the number of entries deleted.
 * Every selector is tried; failures are reported together afterwards.
 */
export async function killFlows(
  runner: CommandRunner,
  selectors: readonly FlowSelector[],
  opts: KillFlowsOptions = {},
): Promise<number> {
  const unique = new Map<string, string[]>();
  for (const s of selectors) {
    const args = killFlowsArgs(s);
    unique.set(args.join(' '), args);
  }
  const queue = [...unique.values()];
  const failures: string[] = [];
  let deleted = 0;
  const worker = async (): Promise<void> => {
    for (let args = queue.shift(); args; args = queue.shift()) {
      let res: RunResult;
      try {
        res = await runner.run(CONNTRACK, args, { netns: opts.netns, timeoutMs: opts.timeoutMs ?? 10_000 });
      } catch (err) {
        failures.push(`${args.join(' ')}: ${(err as Error).message}`);
        continue;
      }
      const n = parseDeletedCount(res.stderr);
      if (n === null) failures.push(new CommandError(CONNTRACK, args, res).message);
      else deleted += n;
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, queue.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failures.length) {
    throw new Error(
      `kill flows: ${failures.length} of ${unique.size} failed (${deleted} deleted): ${failures.join('; ')}`,
    );
  }
  return deleted;
}
