/**
 * `packetpilot-agent`: command-line parsing and dispatch only; the work is in run.ts.
 *
 *   packetpilot-agent --gateway URL --enroll CODE [--name NAME] [--state-dir DIR]   first run
 *   packetpilot-agent [--state-dir DIR] [--gateway URL]                              later runs
 *   packetpilot-agent --once                                                         one snapshot as JSON
 *   packetpilot-agent --cleanup [--state-dir DIR]                                    remove local blocks
 */
import { parseArgs } from 'node:util';
import { UnsupportedCollector } from './collect/collector.js';
import type { LinuxMethod } from './collect/collector.linux.js';
import { blockerFor } from './block/for-platform.js';
import { gatewayText, GatewayUrlError, parseGatewayUrl } from './client/gateway-url.js';
import { collectorOf, enrollAgent, EXIT, ExitError, runAgent, type RuntimeDeps } from './run.js';
import { defaultStateDir, StateDir } from './state/state-dir.js';
import { AGENT_VERSION } from './version.js';

export const USAGE = `packetpilot-agent ${AGENT_VERSION}: tells a Packet Pilot gateway which app owns each connection

Usage:
  packetpilot-agent --gateway URL --enroll CODE [--name NAME]   enroll (first run), then run
  packetpilot-agent                                             run with the stored credential
  packetpilot-agent --once                                      print one socket snapshot as JSON
  packetpilot-agent --cleanup                                   remove the local app blocks

Options:
  --gateway URL       the gateway's address, e.g. http://192.168.1.1:8080
  --enroll CODE       enrollment code from the gateway's admin page (XXXXX-XXXXX)
  --name NAME         this agent's name on the gateway (default: the hostname)
  --enroll-only       store the credential and exit (installers; the service runs later)
  --state-dir DIR     where the credential and buffered reports live
                      (default: /var/lib/packetpilot-agent, %ProgramData%\\PacketPilot,
                      /Library/Application Support/PacketPilot)
  --poll-ms N         socket snapshot interval (default 100)
  --collector M       Linux: ss (default), ss-users or procfs
  --log-level L       fatal, error, warn, info (default), debug
  -h, --help          this text
  -v, --version       the version

Exit codes: 0 stopped, 1 unexpected error, 2 usage, configuration or enrollment refused,
3 the gateway revoked this agent (enroll again).`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

function isLinuxMethod(m: string): m is LinuxMethod {
  return m === 'ss' || m === 'ss-users' || m === 'procfs';
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      gateway: { type: 'string' },
      enroll: { type: 'string' },
      name: { type: 'string' },
      'state-dir': { type: 'string' },
      'poll-ms': { type: 'string' },
      collector: { type: 'string' },
      'log-level': { type: 'string' },
      once: { type: 'boolean' },
      'enroll-only': { type: 'boolean' },
      cleanup: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  }).values;
}

/** Runs the CLI; resolves to the exit code. Errors are said on stderr in one line. */
export async function runCli(argv: readonly string[], deps: RuntimeDeps, io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, deps, io);
  } catch (err) {
    if (err instanceof ExitError) {
      io.stderr(`packetpilot-agent: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof GatewayUrlError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`packetpilot-agent: ${(err as Error).message}\nTry packetpilot-agent --help\n`);
      return EXIT.usage;
    }
    io.stderr(`packetpilot-agent: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.error;
  }
}

async function dispatch(argv: readonly string[], deps: RuntimeDeps, io: CliIo): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (args.version) {
    io.stdout(`${AGENT_VERSION}\n`);
    return EXIT.ok;
  }
  const pollMs = args['poll-ms'] === undefined ? undefined : Number(args['poll-ms']);
  if (pollMs !== undefined && !(Number.isInteger(pollMs) && pollMs >= 10 && pollMs <= 60_000)) {
    throw new ExitError('--poll-ms takes a whole number of milliseconds from 10 to 60000', EXIT.usage);
  }
  const linuxMethod = args.collector;
  if (linuxMethod !== undefined && !isLinuxMethod(linuxMethod)) {
    throw new ExitError('--collector is ss, ss-users or procfs', EXIT.usage);
  }
  const state = new StateDir(args['state-dir'] ?? defaultStateDir(deps.platform, io.env));

  if (args.once) {
    const collector = await collectorOf(deps, linuxMethod);
    if (collector instanceof UnsupportedCollector) {
      throw new ExitError(`socket attribution is not supported on ${deps.platform}`, EXIT.usage);
    }
    io.stdout(`${JSON.stringify(await collector.snapshot(), null, 2)}\n`);
    return EXIT.ok;
  }
  if (args.cleanup) {
    const blocker = deps.blocker ?? blockerFor(deps.platform, { ...deps, state });
    await blocker.cleanup();
    io.stdout('local app blocks removed\n');
    return EXIT.ok;
  }

  const gateway = args.gateway === undefined ? undefined : parseGatewayUrl(args.gateway);
  if (args.enroll !== undefined) {
    if (!gateway) throw new ExitError('--enroll needs --gateway URL', EXIT.usage);
    const existing = await state.readCredentials().catch(() => null);
    if (existing && existing.gateway === gatewayText(gateway)) {
      deps.log.info(
        { agentId: existing.agentId, stateDir: state.dir },
        `already enrolled with this gateway; --enroll ignored (delete ${state.credentialsFile} to enroll anew)`,
      );
    } else {
      await enrollAgent(deps, state, gateway, args.enroll, args.name);
    }
  } else if (args.name !== undefined || args['enroll-only']) {
    throw new ExitError('--name and --enroll-only are used with --enroll', EXIT.usage);
  }
  if (args['enroll-only']) return EXIT.ok;
  return runAgent(deps, {
    state,
    ...(gateway ? { gateway } : {}),
    ...(pollMs === undefined ? {} : { pollMs }),
    ...(linuxMethod ? { linuxMethod } : {}),
  });
}
