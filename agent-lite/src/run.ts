/**
 * The long-running agent and its first-run enrollment, wired from injected parts (the CLI passes
 * the real OS; tests pass fakes, a temporary state directory and an in-test gateway).
 */
import { rename } from 'node:fs/promises';
import type { EnrollReply } from '@packetpilot/protocol';
import { Agent } from './agent.js';
import type { AppBlocker } from './block/blocker.js';
import { blockerFor } from './block/for-platform.js';
import { Backoff } from './client/backoff.js';
import { GatewayClient } from './client/client.js';
import { enroll, EnrollError } from './client/enroll.js';
import { agentSocketUrl, gatewayText, parseGatewayUrl } from './client/gateway-url.js';
import { agentPlatform, buildHello, type MachineInfo } from './client/hello.js';
import type { Connect } from './client/socket.js';
import { collectorFor, UnsupportedCollector, type SocketCollector } from './collect/collector.js';
import { FlowBatcher } from './flows/batcher.js';
import type { Logger } from './log.js';
import type { Clock } from './os/clock.js';
import type { HostFiles } from './os/files.js';
import type { CommandRunner } from './os/runner.js';
import { Outbox } from './report/outbox.js';
import { SeqAllocator } from './report/seq.js';
import type { StateDir } from './state/state-dir.js';
import type { LinuxMethod } from './collect/collector.linux.js';

export const EXIT = { ok: 0, error: 1, usage: 2, revoked: 3 } as const;

export interface RuntimeDeps {
  platform: string;
  runner: CommandRunner;
  files: HostFiles;
  clock: Clock;
  fetch: typeof fetch;
  connect: Connect;
  machine: () => MachineInfo;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM: the agent stops cleanly. */
  signal: AbortSignal;
  random?: () => number;
  /** Tests: scripted sockets instead of the OS's. */
  collector?: SocketCollector;
  blocker?: AppBlocker;
}

/** The collector the deps bring (tests), else this platform's. */
export async function collectorOf(deps: RuntimeDeps, linuxMethod?: LinuxMethod): Promise<SocketCollector> {
  return (
    deps.collector ??
    (await collectorFor(deps.platform, {
      runner: deps.runner,
      files: deps.files,
      clock: deps.clock,
      ...(linuxMethod ? { linuxMethod } : {}),
    }))
  );
}

export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Waits ms on the clock, or less if the signal aborts. */
function pause(deps: RuntimeDeps, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const cancel = deps.clock.after(ms, resolve);
    deps.signal.addEventListener('abort', () => (cancel(), resolve()), { once: true });
  });
}

/** Exchanges the code, retrying while the gateway is unreachable; a refused code ends it (exit 2). */
export async function enrollAgent(
  deps: RuntimeDeps,
  state: StateDir,
  base: URL,
  code: string,
  name?: string,
): Promise<EnrollReply> {
  const platform = agentPlatform(deps.platform);
  if (!platform || platform === 'android') {
    throw new ExitError(`this agent does not run on ${deps.platform}`, EXIT.usage);
  }
  const machine = deps.machine();
  const hello = buildHello(machine);
  const body = {
    code,
    platform,
    ...(machine.hostname ? { hostname: machine.hostname.slice(0, 253) } : {}),
    macs: [...new Set(hello.interfaces.map((i) => i.mac))].slice(0, 32),
    ...(name ? { name } : {}),
  };
  const backoff = new Backoff(deps.random ? { random: deps.random } : {});
  let lastStep = -1;
  for (;;) {
    try {
      const reply = await enroll(base, body, deps.fetch);
      await state.ensure();
      await state.writeCredentials({
        gateway: gatewayText(base),
        agentId: reply.agentId,
        secret: reply.secret,
        deviceId: reply.deviceId,
        enrolledAt: new Date(deps.clock.now()).toISOString(),
      });
      deps.log.info({ agentId: reply.agentId, deviceId: reply.deviceId, stateDir: state.dir }, 'enrolled');
      return reply;
    } catch (err) {
      if (!(err instanceof EnrollError)) throw err;
      if (err.failure !== 'retry') throw new ExitError(err.message, EXIT.usage);
      const step = backoff.stepMs;
      const delay = err.retryAfterMs ?? backoff.next();
      if (step !== lastStep) deps.log.warn(`${err.message}; trying again in ${Math.round(delay / 1000)} s`);
      lastStep = step;
      await pause(deps, delay);
      if (deps.signal.aborted) throw new ExitError('stopped before enrollment finished', EXIT.ok);
    }
  }
}

export interface RunOptions {
  state: StateDir;
  /** --gateway: overrides the stored gateway address (it moved). */
  gateway?: URL;
  pollMs?: number;
  linuxMethod?: LinuxMethod;
}

/** Runs until the signal aborts (exit 0) or the gateway revokes the agent (exit 3). */
export async function runAgent(deps: RuntimeDeps, options: RunOptions): Promise<number> {
  const { state } = options;
  const log = deps.log;
  const credentials = await state.readCredentials();
  if (!credentials) {
    throw new ExitError(
      `not enrolled (no ${state.credentialsFile}): run packetpilot-agent --gateway URL --enroll CODE first`,
      EXIT.usage,
    );
  }
  const base = options.gateway ?? parseGatewayUrl(credentials.gateway);
  const collector = await collectorOf(deps, options.linuxMethod);
  if (collector instanceof UnsupportedCollector) {
    throw new ExitError(`socket attribution is not supported on ${deps.platform}`, EXIT.usage);
  }
  await state.ensure();
  const outbox = await Outbox.open({
    file: state.outboxFile,
    clock: deps.clock,
    log: log.child({ module: 'outbox' }),
  });
  const seq = SeqAllocator.open(state.seqFile, { atLeast: (outbox.maxSeq ?? -1) + 1 });
  const blocker =
    deps.blocker ??
    blockerFor(deps.platform, { runner: deps.runner, files: deps.files, clock: deps.clock, log, state });

  let revoked: string | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  deps.signal.addEventListener('abort', () => finish(), { once: true });

  const batcher = new FlowBatcher({
    clock: deps.clock,
    nextSeq: () => seq.next(),
    // client is created below; reports only flow once the agent has started
    emit: (report) => client.submit(report),
  });
  const agent = new Agent({
    collector,
    blocker,
    batcher,
    clock: deps.clock,
    log: log.child({ module: 'agent' }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  const client: GatewayClient = new GatewayClient({
    url: agentSocketUrl(base),
    credential: credentials,
    connect: deps.connect,
    clock: deps.clock,
    log: log.child({ module: 'client' }),
    outbox,
    backoff: new Backoff(deps.random ? { random: deps.random } : {}),
    hello: () => buildHello(deps.machine(), { blocking: blocker.mode, droppedReports: outbox.dropped }),
    onPolicy: (blockedApps) => {
      void agent.setPolicy(blockedApps);
      const receivedAt = new Date(deps.clock.now()).toISOString();
      state.writePolicy({ blockedApps, receivedAt }).catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'cannot store the policy');
      });
    },
    onRevoked: (reason) => {
      revoked = reason;
      finish();
    },
  });

  const stored = await state.readPolicy();
  if (stored) await agent.setPolicy(stored.blockedApps);
  agent.start();
  client.start();
  log.info(
    {
      collector: collector.name,
      blocking: blocker.mode,
      gateway: base.origin,
      stateDir: state.dir,
      waiting: outbox.size,
    },
    'agent running',
  );
  if (deps.signal.aborted) finish();
  await done;

  await agent.stop();
  blocker.close();
  client.stop();
  await outbox.close();
  if (revoked === undefined) {
    log.info('agent stopped');
    return EXIT.ok;
  }
  await blocker.cleanup();
  await rename(state.credentialsFile, `${state.credentialsFile}.revoked`).catch(() => undefined);
  throw new ExitError(
    `${revoked}. Local blocks were removed. To use this machine again, enroll it anew: ` +
      'packetpilot-agent --gateway URL --enroll CODE',
    EXIT.revoked,
  );
}
