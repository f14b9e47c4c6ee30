import type { Logger } from '../log.js';
import { CommandError, systemRunner, type CommandRunner, type RunResult } from '../os/runner.js';
import { pidFileProcesses, type LabProcesses } from './processes.js';
import { LAB } from './topology.js';

export interface LabOptions {
  runner?: CommandRunner;
  /** Where detached servers are started and remembered; defaults to pid files in LAB.runDir. */
  processes?: LabProcesses;
  /** Number of client namespaces (default 3; `status` detects it when omitted). */
  clients?: number;
  log?: Logger;
}

export interface LabContext {
  runner: CommandRunner;
  processes: LabProcesses;
  log: Logger | undefined;
}

export function labContext(opts: LabOptions = {}): LabContext {
  return {
    runner: opts.runner ?? systemRunner,
    processes: opts.processes ?? pidFileProcesses(LAB.runDir),
    log: opts.log?.child({ module: 'lab' }),
  };
}

/** One step of a plan: a command, optionally inside a namespace. */
export interface LabCommand {
  cmd: string;
  args: string[];
  netns?: string;
  input?: string;
}

export async function runStep(runner: CommandRunner, c: LabCommand, timeoutMs = 15_000): Promise<string> {
  const result = await runner.run(c.cmd, c.args, { netns: c.netns, input: c.input, timeoutMs });
  if (result.code !== 0) throw stepError(c, result);
  return result.stdout;
}

/** A CommandError whose message names the namespace too, so a failure says where it happened. */
function stepError(c: LabCommand, result: RunResult): CommandError {
  const [cmd, args] = c.netns ? ['ip', ['netns', 'exec', c.netns, c.cmd, ...c.args]] : [c.cmd, c.args];
  return new CommandError(cmd, args, result);
}

export interface ExecInOptions {
  runner?: CommandRunner;
  timeoutMs?: number;
  input?: string;
}

/** Run a command inside a lab namespace; resolves with stdout, throws a CommandError on failure. */
export function execIn(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: ExecInOptions = {},
): Promise<string> {
  return runStep(
    opts.runner ?? systemRunner,
    { cmd, args: [...args], netns: ns, input: opts.input },
    opts.timeoutMs,
  );
}

/** The pp-* namespaces that exist right now. */
export async function labNamespaces(runner: CommandRunner): Promise<string[]> {
  const out = await runStep(runner, { cmd: 'ip', args: ['netns', 'list'] });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(LAB.prefix));
}

/** Interfaces in a namespace (`null` = the host), or an empty list when it cannot be read. */
export async function listLinks(
  runner: CommandRunner,
  ns: string | null,
): Promise<Array<{ ifname: string; operstate?: string }>> {
  const args = ns ? ['-n', ns, '-j', 'link', 'show'] : ['-j', 'link', 'show'];
  const result = await runner.run('ip', args);
  if (result.code !== 0) return [];
  return JSON.parse(result.stdout || '[]') as Array<{ ifname: string; operstate?: string }>;
}

export async function linkNames(runner: CommandRunner, ns: string | null): Promise<string[]> {
  return (await listLinks(runner, ns)).map((l) => l.ifname);
}

// `ping` is not part of the lab's required tools; without it a TCP connect to the discard port
// proves the same thing: a "connection refused" can only come from a host that received the probe.
const REACH = `
if command -v ping >/dev/null 2>&1; then ping -c1 -W2 "$1" >/dev/null; exit $?; fi
out=$( { exec 3<>"/dev/tcp/$1/9"; } 2>&1 ) && exit 0
case $out in *refused*) exit 0 ;; esac
echo "$out" >&2
exit 1
`;

/** Does `addr` answer from inside `ns` (`null` = the host)? ICMP echo, or a TCP probe without ping. */
export async function reachable(ns: string | null, addr: string, opts: ExecInOptions = {}): Promise<boolean> {
  const runner = opts.runner ?? systemRunner;
  const r = await runner.run('bash', ['-c', REACH, 'reachable', addr], {
    netns: ns ?? undefined,
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
  return r.code === 0;
}
