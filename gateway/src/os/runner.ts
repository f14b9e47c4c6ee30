import { spawn, type ChildProcess } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  timeoutMs?: number;
  /** Run inside this network namespace (`ip netns exec NS …`). */
  netns?: string;
}

/**
 * The one door to the operating system's tools (nft, conntrack, ip, sysctl).
 * Feature code receives a CommandRunner and never imports child_process, so unit tests can
 * hand it a fake and integration tests the real one.
 */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** A long-lived child (event streams). The caller owns its lifetime. */
  spawn(cmd: string, args: readonly string[], opts?: { netns?: string }): ChildProcess;
}

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${cmd} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'CommandError';
  }
}

/** `cmd args`, or `ip netns exec NS cmd args` when a namespace is given. */
export function withNetns(cmd: string, args: readonly string[], netns?: string): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];
}

export const systemRunner: CommandRunner = {
  run(cmd, args, opts = {}) {
    const [file, argv] = withNetns(cmd, args, opts.netns);
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      }
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err) => {
        if (timer) clearTimeout(timer);
        reject(new Error(`run ${file}: ${err.message}`, { cause: err }));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ stdout, stderr: signal ? `${stderr}killed by ${signal}` : stderr, code: code ?? 128 });
      });
      child.stdin.on('error', () => {
        /* child exited before reading its input; the exit code tells the story */
      });
      child.stdin.end(opts.input ?? '');
    });
  },
  spawn(cmd, args, opts = {}) {
    const [file, argv] = withNetns(cmd, args, opts.netns);
    return spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  },
};

/** Run and throw a CommandError carrying stderr when the tool fails. */
export async function runChecked(
  runner: CommandRunner,
  cmd: string,
  args: readonly string[],
  opts?: RunOptions,
): Promise<string> {
  const result = await runner.run(cmd, args, opts);
  if (result.code !== 0) throw new CommandError(cmd, args, result);
  return result.stdout;
}
