import type { Logger } from '../log.js';
import { systemRunner } from '../os/runner.js';
import { parseGatewayArgs } from './args.js';
import { startGateway } from '../daemon/gateway.js';

/** Runs until SIGTERM/SIGINT; then flushes usage and leaves the nft table in place. */
export async function runGatewayCommand(argv: string[], log: Logger): Promise<number> {
  const args = parseGatewayArgs(argv, process.env);
  const gateway = await startGateway(args, { runner: systemRunner, log });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      gateway.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
