import { parseArgs } from 'node:util';
import { UsageError } from './args.js';
import { labUp, labDown, labStatus, startBackgroundTraffic, stopBackgroundTraffic } from '../lab/index.js';

export async function runLabCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'traffic') {
    if (process.getuid?.() !== 0) throw new UsageError('lab: needs root (network namespaces)');
    const action = rest[0];
    if (action === 'start') await startBackgroundTraffic();
    else if (action === 'stop') await stopBackgroundTraffic();
    else throw new UsageError(`lab traffic: expected start or stop, got ${JSON.stringify(action)}`);
    return 0;
  }
  const { values } = parseArgs({ args: rest, options: { clients: { type: 'string' } }, strict: true });
  let clients: number | undefined;
  if (values.clients !== undefined) {
    clients = Number(values.clients);
    if (!Number.isInteger(clients) || clients < 1 || clients > 50) {
      throw new UsageError(`lab: --clients must be an integer 1..50, got ${values.clients}`);
    }
  }
  if (process.getuid?.() !== 0) throw new UsageError('lab: needs root (network namespaces)');
  switch (sub) {
    case 'up': {
      const status = await labUp({ clients });
      process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      return status.up ? 0 : 1;
    }
    case 'down':
      process.stdout.write(JSON.stringify(await labDown({ clients }), null, 2) + '\n');
      return 0;
    case 'status': {
      const status = await labStatus({ clients });
      process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      return status.up ? 0 : 3;
    }
    default:
      throw new UsageError(`lab: expected up, down or status, got ${JSON.stringify(sub)}`);
  }
}
