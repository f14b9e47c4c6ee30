import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB, labDown, labUp } from '../lab/index.js';
import { systemRunner, type RunResult } from '../os/runner.js';

export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/**
 * How the daemon is started everywhere (systemd unit, npm start, tests, bench): a small young
 * generation keeps V8's heap near the live data; see docs/decisions/0006-memory.md.
 */
/** As the systemd unit starts the daemon (docs/decisions/0006-memory.md). */
export const DAEMON_NODE_FLAGS = [
  '--max-semi-space-size=2',
  '--v8-pool-size=1',
  // e.g. PP_DAEMON_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the daemon in a bench
  ...(process.env.PP_DAEMON_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
];
/**
 * glibc's malloc, read at process start: two arenas instead of one per thread that ever allocated,
 * and fixed mmap/trim thresholds. Left dynamic, one freed 16 MB block (a login's scrypt) raises
 * both thresholds for good, and later large blocks stay in the heap after they are freed.
 */
export const DAEMON_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};
export const GATEWAY_URL = `http://${LAB.lan.gateway4}:${LAB.ports.gatewayUi}`;

/** Polls `check` until it returns a value other than undefined/false, or throws after the deadline. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function runCli(args: string[], input?: string): Promise<RunResult> {
  return systemRunner.run(process.execPath, [CLI, ...args], { input });
}

/** `node … packetpilot gateway` on the lab's interfaces, as npm start runs it; run it inside pp-gw. */
export function gatewayArgv(extra: string[]): string[] {
  return [
    process.execPath,
    ...DAEMON_NODE_FLAGS,
    CLI,
    'gateway',
    '--lan',
    LAB.gw.lanIf,
    '--wan',
    LAB.gw.wanIf,
    // the lab's "internet" resolver (dnsmasq in pp-wan)
    '--upstream',
    LAB.wan.server4,
    ...extra,
  ];
}

/** The real gateway daemon inside pp-gw, as `npm start` runs it. */
export class GatewayProcess {
  child: ChildProcess | null = null;
  log = '';

  constructor(private readonly args: string[]) {}

  async start(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', LAB.ns.gw, ...gatewayArgv(this.args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...DAEMON_ENV, PP_LOG_LEVEL: 'info' },
    });
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`gateway exited ${code} during start:\n${this.log}`))),
    );
    await Promise.race([
      until('gateway health', async () => (await fetch(`${GATEWAY_URL}/api/v1/health`)).ok, 30_000),
      exited,
    ]);
  }

  /** SIGKILL gives the daemon no chance to flush: the crash case. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const code = await done;
    this.child = null;
    return code;
  }
}

export class ApiClient {
  constructor(readonly token: string) {}

  static async login(username: string, password: string): Promise<ApiClient> {
    const res = await fetch(`${GATEWAY_URL}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return new ApiClient(((await res.json()) as { token: string }).token);
  }

  async get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /** Any method; throws with the status and body unless 2xx. 204 resolves to undefined. */
  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${GATEWAY_URL}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }
}

export interface LabGateway {
  gateway: GatewayProcess;
  /** Logged in as the admin created for the run. */
  api: ApiClient;
  dataDir: string;
  password: string;
  /** Stops the daemon, takes the lab down and removes the data dir. */
  close(): Promise<void>;
}

/** A fresh lab, a data dir with an admin, and the daemon running on it: how lab tests begin. */
export async function startLabGateway(
  password = 'lab test password',
  extraArgs: string[] = [],
): Promise<LabGateway> {
  await labDown();
  await labUp();
  const dataDir = await mkdtemp(join(tmpdir(), 'pp-lab-'));
  const created = await runCli(
    ['admin', 'create', '--username', 'admin', '--role', 'admin', '--password-stdin', '--data-dir', dataDir],
    password,
  );
  if (created.code !== 0) throw new Error(`admin create failed: ${created.stderr}`);
  const gateway = new GatewayProcess(['--data-dir', dataDir, ...extraArgs]);
  await gateway.start();
  return {
    gateway,
    api: await ApiClient.login('admin', password),
    dataDir,
    password,
    async close() {
      await gateway.stop();
      await labDown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
