import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CommandError, type CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import type { Flow, FlowEvent } from './flow.js';
import { isChatter, parseDump, parseEventLine } from './parse.js';

const CONNTRACK = 'conntrack';
const DUMP_TIMEOUT_MS = 30_000;

export interface FlowFilter {
  src?: string;
  dst?: string;
  proto?: string;
  dport?: number;
}

export interface ConntrackEventStreamEvents {
  event: [FlowEvent];
  /** The kernel dropped events (ENOBUFS): do a full dump now. */
  overrun: [];
  /** A line the parser could not read; reported, never thrown. */
  parseError: [{ error: string; line: string }];
  /** The child exited; it is restarted unless the stream was closed. */
  exit: [{ code: number | null; signal: string | null; restarting: boolean }];
}

export interface ConntrackEventStream extends EventEmitter<ConntrackEventStreamEvents> {
  /** Kill and respawn the child (e.g. when events went silent). */
  resubscribe(): void;
  close(): void;
}

export interface Conntrack {
  flows(): Promise<Flow[]>;
  events(): ConntrackEventStream;
  /** Deletes matching entries (which kills NATed TCP flows); returns how many were deleted. */
  deleteFlows(filter: FlowFilter): Promise<number>;
}

export interface ConntrackCliOptions {
  netns?: string;
  log?: Logger;
  /** Netlink receive buffer for the event socket; the kernel doubles it. */
  bufferSize?: number;
  /** Delay before respawning an event child that exited; doubles up to 30 s while it keeps dying. */
  restartDelayMs?: number;
}

const ENOBUFS = /ENOBUFS|No buffer space/i;

class CliEventStream extends EventEmitter<ConntrackEventStreamEvents> implements ConntrackEventStream {
  #child: ChildProcess | undefined;
  #closed = false;
  #delay: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runner: CommandRunner,
    private readonly args: string[],
    private readonly opts: ConntrackCliOptions,
  ) {
    super();
    this.#delay = opts.restartDelayMs ?? 500;
    this.#start();
  }

  #start(): void {
    const child = this.runner.spawn(CONNTRACK, this.args, { netns: this.opts.netns });
    this.#child = child;
    const startedAt = Date.now();
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (isChatter(line)) return;
        const r = parseEventLine(line);
        if (r.ok) this.emit('event', r.value);
        else this.emit('parseError', { error: r.error, line: r.line });
      });
    }
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        if (ENOBUFS.test(line)) this.emit('overrun');
        else if (!isChatter(line)) this.opts.log?.warn({ line }, 'conntrack -E stderr');
      });
    }
    child.on('error', (err) => this.opts.log?.error({ err }, 'conntrack -E could not start'));
    child.on('close', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      const restarting = !this.#closed;
      this.emit('exit', { code, signal, restarting });
      if (!restarting) return;
      // A child that lived a while gets a fast restart; one that dies at once backs off.
      this.#delay =
        Date.now() - startedAt > 10_000
          ? (this.opts.restartDelayMs ?? 500)
          : Math.min(this.#delay * 2, 30_000);
      this.#timer = setTimeout(() => this.#start(), this.#delay);
    });
  }

  resubscribe(): void {
    if (this.#closed) return;
    const child = this.#child;
    this.#child = undefined;
    child?.kill('SIGTERM');
    if (this.#timer) clearTimeout(this.#timer);
    this.#start();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#child?.kill('SIGTERM');
  }
}

/** Conntrack over the conntrack-tools CLI; dumps and events run as separate processes (separate sockets). */
export class ConntrackCli implements Conntrack {
  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: ConntrackCliOptions = {},
  ) {}

  async flows(): Promise<Flow[]> {
    const args = ['-L', '-o', 'extended,id'];
    const res = await this.runner.run(CONNTRACK, args, {
      netns: this.opts.netns,
      timeoutMs: DUMP_TIMEOUT_MS,
    });
    if (res.code !== 0)
      throw new Error(`dump conntrack table: ${new CommandError(CONNTRACK, args, res).message}`);
    const { flows, errors } = parseDump(res.stdout);
    if (errors.length)
      this.opts.log?.warn({ count: errors.length, first: errors[0] }, 'unparsed conntrack lines');
    return flows;
  }

  events(): ConntrackEventStream {
    const buffer = String(this.opts.bufferSize ?? 8 * 1024 * 1024);
    const args = ['-E', '-e', 'NEW,DESTROY', '-o', 'timestamp,extended,id', '--buffer-size', buffer];
    return new CliEventStream(this.runner, args, this.opts);
  }

  async deleteFlows(filter: FlowFilter): Promise<number> {
    const args = ['-D'];
    if (filter.src === undefined && filter.dst === undefined && filter.proto === undefined) {
      throw new Error('delete conntrack flows: refusing an empty filter (it would delete every flow)');
    }
    if ([filter.src, filter.dst].some((a) => a?.includes(':'))) args.push('-f', 'ipv6');
    if (filter.src !== undefined) args.push('-s', filter.src);
    if (filter.dst !== undefined) args.push('-d', filter.dst);
    if (filter.dport !== undefined && filter.proto === undefined) {
      throw new Error('delete conntrack flows: dport needs proto');
    }
    if (filter.proto !== undefined) args.push('-p', filter.proto);
    if (filter.dport !== undefined) args.push('--dport', String(filter.dport));
    const res = await this.runner.run(CONNTRACK, args, {
      netns: this.opts.netns,
      timeoutMs: DUMP_TIMEOUT_MS,
    });
    // Exit 1 with "0 flow entries have been deleted" just means nothing matched.
    const m = /(\d+) flow entries have been deleted/.exec(res.stderr);
    if (m) return Number(m[1]);
    throw new Error(`delete conntrack flows: ${new CommandError(CONNTRACK, args, res).message}`);
  }
}
