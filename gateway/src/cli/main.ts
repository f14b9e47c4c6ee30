#!/usr/bin/env node
import { createLogger } from '../log.js';
import { UsageError } from './args.js';
import { PreflightError } from '../daemon/preflight.js';
import { AppError } from '../errors.js';
import { tuneRuntimeForAppliance } from './runtime.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';

const HELP = `packetpilot — the Packet Pilot gateway

Usage:
  packetpilot gateway --lan IF --wan IF [--listen ADDR:PORT] [--data-dir DIR] [--database-url URL]
                      [--upstream ADDR[:PORT]]... [--dns-port N] [--tls] [--allow-wan-admin]
  packetpilot admin create --username U --role admin|operator|viewer --password-stdin [--data-dir DIR | --database-url URL]
  packetpilot lab up|down|status [--clients N]
  packetpilot agent --gateway URL [--enroll CODE] [--state-dir DIR] ...   (agent-lite; --help for its options)
`;

/**
 * `packetpilot agent`: agent-lite, the per-PC agent, as its own process (it has its own signals,
 * logger and exit codes, and on a PC it runs without the gateway's code).
 */
async function runAgent(args: string[]): Promise<number> {
  const main = fileURLToPath(new URL('../../../agent-lite/dist/main.js', import.meta.url));
  const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1);
}

async function main(argv: string[]): Promise<number> {
  tuneRuntimeForAppliance();
  const [command, ...rest] = argv;
  // each command loads only its own modules: the daemon runs for months with what it imported
  switch (command) {
    case 'gateway':
      return (await import('./gateway-command.js')).runGatewayCommand(rest, createLogger());
    case 'admin':
      return (await import('./admin-command.js')).runAdminCommand(rest);
    case 'lab':
      return (await import('./lab-command.js')).runLabCommand(rest);
    case 'agent':
      return runAgent(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`packetpilot: ${err.message}\n\n${HELP}`);
      process.exitCode = 2;
    } else if (err instanceof PreflightError || err instanceof AppError) {
      process.stderr.write(`packetpilot: ${err.message}\n`);
      process.exitCode = 1;
    } else if (
      err instanceof Error &&
      err.name === 'TypeError' &&
      'code' in err &&
      String(err.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`packetpilot: ${err.message}\n\n${HELP}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`packetpilot: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
