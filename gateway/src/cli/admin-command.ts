import { parseArgs } from 'node:util';
import { UsageError, parseDatabaseUrl } from './args.js';
import { openDatabase } from '../db/open.js';
import { UserStore, SessionStore } from '../auth/store.js';
import { AuthService } from '../auth/service.js';
import { isRole } from '../auth/roles.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `admin create`: the first admin comes from the CLI; no default password exists anywhere. */
export async function runAdminCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'create')
    throw new UsageError(`admin: unknown subcommand ${JSON.stringify(sub)} (expected create)`);
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
    },
    strict: true,
  });
  if (!values.username) throw new UsageError('admin create: --username U is required');
  const role = values.role ?? 'admin';
  if (!isRole(role))
    throw new UsageError(`admin create: --role must be admin, operator or viewer, got ${role}`);
  if (!values['password-stdin'])
    throw new UsageError('admin create: --password-stdin is required (the password is read from stdin)');
  const password = (await readStdin()).replace(/\r?\n$/, '');
  const url = parseDatabaseUrl(values['database-url'] ?? process.env.DATABASE_URL);
  const database = await openDatabase(
    url ? { url } : { dataDir: values['data-dir'] ?? process.env.PP_DATA_DIR ?? '/var/lib/packetpilot' },
  );
  try {
    const auth = new AuthService(new UserStore(database.db), new SessionStore(database.db));
    const user = await auth.createUser(values.username, password, role);
    process.stdout.write(`created ${user.role} ${user.username} (id ${user.id})\n`);
    return 0;
  } finally {
    await database.close();
  }
}
