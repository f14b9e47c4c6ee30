#!/usr/bin/env node
import { createLogger } from '../log.js';
import { UsageError } from './args.js';
import { PreflightError } from '../daemon/preflight.js';
import { AppError } from '../errors.js';
import { runGatewayCommand } from './gateway-command.js';
import { runAdminCommand } from './admin-command.js';
import { runLabCommand } from './lab-command.js';
import { tuneRuntimeForAppliance } from './runtime.js';

const HELP = `packetpilot — the Packet Pilot gateway

Usage:
  packetpilot gateway --lan IF --wan IF [--listen ADDR:PORT] [--data-dir DIR] [--database-url URL]
                      [--upstream ADDR[:PORT]]... [--dns-port N] [--tls] [--allow-wan-admin]
  packetpilot admin create --username U --role admin|operator|viewer --password-stdin [--data-dir DIR | --database-url URL]
  packetpilot lab up|down|status [--clients N]
`;

async function main(argv: string[]): Promise<number> {
  tuneRuntimeForAppliance();
  const [command, ...rest] = argv;
  switch (command) {
    case 'gateway':
      return runGatewayCommand(rest, createLogger());
    case 'admin':
      return runAdminCommand(rest);
    case 'lab':
      return runLabCommand(rest);
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
