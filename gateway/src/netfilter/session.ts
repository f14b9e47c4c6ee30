import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';
import { withNetns } from '../os/runner.js';

/**
 * What `list tables` prints in JSON mode, first thing on its line. It is the session's
 * end-of-command marker: it cannot fail, and the commands the session runs (set element changes)
 * print nothing when they succeed, so whatever comes before it is that command's error.
 */
const SENTINEL_CMD = JSON.stringify({ nftables: [{ list: { tables: { family: 'inet' } } }] });
const SENTINEL_LINE = '{"nftables": [{"metainfo"';

/** nft ran the batch and refused it (its message); the session itself is fine. */
export class NftRefused extends Error {}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
  output: string[];
  timer: NodeJS.Timeout;
}

/**
 * One long-lived `nft -j -i` process that runs JSON batches one at a time. A one-shot `nft` costs
 * a fork and an exec from a daemon of ~150 MB: ~20 ms idle and 40–120 ms while downloads keep
 * both cores busy, which is most of the time between "block" and the kernel dropping packets.
 * Here a batch is a line written to a pipe. Each line is its own transaction (libnftables runs
 * every input line as one buffer). The process is started on first use and again after it died.
 */
export class NftSession {
  readonly #netns: string | undefined;
  readonly #log: Logger | undefined;
  #child: ChildProcess | null = null;
  #buffer = '';
  #pending: Pending | null = null;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: { netns?: string; log?: Logger } = {}) {
    this.#netns = opts.netns;
    this.#log = opts.log;
  }

  /** Runs one JSON batch; rejects with NftRefused when nft refuses it, Error when the process fails. */
  run(json: string, timeoutMs: number): Promise<void> {
    if (json.includes('\n')) return Promise.reject(new TypeError('nft session: a batch must be one line'));
    const next = this.#tail.then(() => this.#exchange(json, timeoutMs));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** The running nft's pid (`ip netns exec` and `sh` exec into it), if one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process now, so the first block does not pay for it. */
  warm(): void {
    if (!this.#child && !this.#closed) this.#start();
  }

  close(): void {
    this.#closed = true;
    this.#stop(new Error('nft session closed'));
  }

  #exchange(json: string, timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('nft session closed'));
    const child = this.#child ?? this.#start();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#stop(new Error(`nft session: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#pending = { resolve, reject, output: [], timer };
      child.stdin!.write(`${json}\n${SENTINEL_CMD}\n`);
    });
  }

  #start(): ChildProcess {
    // stderr joins stdout in the child so an error and the marker after it arrive in order.
    const [file, argv] = withNetns('sh', ['-c', 'exec nft -j -i 2>&1'], this.#netns);
    const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'ignore'] });
    this.#child = child;
    this.#buffer = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.#onData(chunk));
    child.stdin!.on('error', () => undefined); // a dead child's EPIPE; 'exit' reports it
    child.on('error', (err) => this.#stop(new Error(`nft session: ${err.message}`, { cause: err }), child));
    child.on('exit', (code, signal) =>
      this.#stop(new Error(`nft session exited (${signal ?? code})`), child),
    );
    this.#log?.debug({ pid: child.pid }, 'nft session started');
    return child;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const p = this.#pending;
      if (!p) continue;
      if (!line.startsWith(SENTINEL_LINE)) {
        if (line.trim()) p.output.push(line);
        continue;
      }
      clearTimeout(p.timer);
      this.#pending = null;
      if (p.output.length) p.reject(new NftRefused(p.output.join('\n')));
      else p.resolve();
    }
  }

  /** Ends the process (if it is still the current one) and fails the batch in flight. */
  #stop(err: Error, which: ChildProcess | null = this.#child): void {
    if (which !== this.#child) return;
    const child = this.#child;
    this.#child = null;
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    const p = this.#pending;
    this.#pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    if (!this.#closed) this.#log?.debug({ err: err.message }, 'nft session ended');
  }
}
