import type { CommandRunner, RunOptions, RunResult } from '../os/runner.js';

export interface Call {
  cmd: string;
  args: string[];
  input?: string;
  verbatim?: boolean;
}

type Reply = RunResult | ((call: Call) => RunResult | Promise<RunResult>);

/** Records every command; answers from rules matched on `cmd args…` (first match wins). */
export class FakeRunner implements CommandRunner {
  readonly calls: Call[] = [];
  readonly #rules: { match: (line: string, call: Call) => boolean; reply: Reply }[] = [];

  on(match: string | RegExp | ((line: string, call: Call) => boolean), reply: Reply | string): this {
    const m =
      typeof match === 'string'
        ? (line: string) => line === match || line.startsWith(`${match} `)
        : match instanceof RegExp
          ? (line: string) => match.test(line)
          : match;
    this.#rules.push({ match: m, reply: typeof reply === 'string' ? ok(reply) : reply });
    return this;
  }

  async run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const call: Call = { cmd, args: [...args] };
    if (opts.input !== undefined) call.input = opts.input;
    if (opts.verbatim) call.verbatim = true;
    this.calls.push(call);
    const line = [cmd, ...args].join(' ');
    const rule = this.#rules.find((r) => r.match(line, call));
    if (!rule) return { stdout: '', stderr: `fake: no rule for ${line}`, code: 127 };
    return typeof rule.reply === 'function' ? rule.reply(call) : rule.reply;
  }

  /** The command lines run so far. */
  lines(): string[] {
    return this.calls.map((c) => [c.cmd, ...c.args].join(' '));
  }
}

export function ok(stdout = ''): RunResult {
  return { stdout, stderr: '', code: 0 };
}

export function fail(stderr: string, code = 1): RunResult {
  return { stdout: '', stderr, code };
}
