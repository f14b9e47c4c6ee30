/**
 * The one door to the operating system's tools (ss, nft, netstat, lsof, PowerShell, netsh).
 * Feature code receives a CommandRunner and never imports child_process, so unit tests hand it a
 * fake that records the commands and replays captured output.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. */
  input?: string;
  /** Default 10 s: a hung tool must not stall the agent's loop. */
  timeoutMs?: number;
  /**
   * Windows: pass the arguments as written, joined by spaces, without Node's quoting (netsh wants
   * `name="a b"`, which the arguments then carry themselves). Ignored elsewhere.
   */
  verbatim?: boolean;
}

export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${cmd} ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
    this.name = 'CommandError';
  }
}

/** Output past this is cut: `ss` on a busy server prints ~100 bytes a socket. */
const MAX_OUTPUT = 64 * 1024 * 1024;

export const systemRunner: CommandRunner = {
  run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, [...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
        windowsVerbatimArguments: opts.verbatim === true,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[]) => (d: Buffer) => {
        size += d.length;
        if (size <= MAX_OUTPUT) into.push(d);
      };
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`run ${cmd}: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: signal ? `${stderr}killed by ${signal}` : stderr,
          code: code ?? 128,
        });
      });
      child.stdin.on('error', () => {
        /* the child exited before reading its input; its exit code tells the story */
      });
      child.stdin.end(opts.input ?? '');
    });
  },
};

/** Runs and throws a CommandError carrying stderr when the tool fails. */
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
