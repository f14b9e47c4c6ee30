/**
 * The process around the CLI: real OS adapters, signals, exit code. Nothing else imports this.
 * No top-level await: the single-file build bundles this as CommonJS (Node SEA needs that).
 */
import { runCli } from './cli.js';
import { wsConnect } from './client/socket.js';
import { currentMachine } from './client/hello.js';
import { createLogger } from './log.js';
import { systemClock } from './os/clock.js';
import { hostFiles } from './os/files.js';
import { systemRunner } from './os/runner.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const levelAt = argv.indexOf('--log-level');
  const level = levelAt >= 0 ? argv[levelAt + 1] : undefined;
  if (
    level !== undefined &&
    !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)
  ) {
    process.stderr.write(
      `packetpilot-agent: --log-level is fatal, error, warn, info or debug (got ${level})\n`,
    );
    process.exitCode = 2;
    return;
  }
  const log = createLogger(level);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      stop.abort();
    });
  }

  const code = await runCli(
    argv,
    {
      platform: process.platform,
      runner: systemRunner,
      files: hostFiles,
      clock: systemClock,
      fetch: globalThis.fetch,
      connect: wsConnect,
      machine: currentMachine,
      log,
      signal: stop.signal,
    },
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      env: process.env,
    },
  );
  process.exitCode = code;
  // Timers of a stopped agent must not keep the process alive; stdout may still be draining.
  setTimeout(() => process.exit(code), 200).unref();
}

void main();
