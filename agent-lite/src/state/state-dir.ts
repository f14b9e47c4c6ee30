/**
 * The agent's state directory: its credential (0600), the last policy, the outbox and the report
 * counter. Default per OS: /var/lib/packetpilot-agent, %ProgramData%\PacketPilot,
 * /Library/Application Support/PacketPilot.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { Type, type Static } from 'typebox';

export function defaultStateDir(platform: string, env: NodeJS.ProcessEnv): string {
  switch (platform) {
    case 'win32':
      return join(env.ProgramData ?? 'C:\\ProgramData', 'PacketPilot');
    case 'darwin':
      return '/Library/Application Support/PacketPilot';
    default:
      return '/var/lib/packetpilot-agent';
  }
}

export const Credentials = Type.Object({
  /** The gateway's base URL, as given to --gateway. */
  gateway: Type.String(),
  agentId: Type.Integer(),
  secret: Type.String({ minLength: 1 }),
  deviceId: Type.Union([Type.Integer(), Type.Null()]),
  enrolledAt: Type.String(),
});
export type Credentials = Static<typeof Credentials>;
const checkCredentials = Compile(Credentials);

const StoredPolicy = Type.Object({ blockedApps: Type.Array(Type.String()), receivedAt: Type.String() });
export type StoredPolicy = Static<typeof StoredPolicy>;
const checkPolicy = Compile(StoredPolicy);

export class StateDir {
  constructor(readonly dir: string) {}

  get credentialsFile(): string {
    return join(this.dir, 'credentials.json');
  }
  get policyFile(): string {
    return join(this.dir, 'policy.json');
  }
  get outboxFile(): string {
    return join(this.dir, 'outbox.jsonl');
  }
  get seqFile(): string {
    return join(this.dir, 'seq');
  }
  /** Windows firewall rules the agent added (so it removes exactly those). */
  get windowsRulesFile(): string {
    return join(this.dir, 'firewall-rules.json');
  }

  /** Creates the directory readable by its owner only. */
  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700).catch(() => undefined);
  }

  async readCredentials(): Promise<Credentials | null> {
    const value = await this.#readJson(this.credentialsFile);
    if (value === undefined) return null;
    if (!checkCredentials.Check(value)) throw new Error(`${this.credentialsFile} is not an agent credential`);
    return value;
  }

  writeCredentials(credentials: Credentials): Promise<void> {
    return this.#writeJson(this.credentialsFile, credentials);
  }

  async readPolicy(): Promise<StoredPolicy | null> {
    const value = await this.#readJson(this.policyFile).catch(() => undefined);
    return checkPolicy.Check(value) ? value : null;
  }

  writePolicy(policy: StoredPolicy): Promise<void> {
    return this.#writeJson(this.policyFile, policy);
  }

  async readJson(file: string): Promise<unknown> {
    return this.#readJson(file);
  }

  writeJson(file: string, value: unknown): Promise<void> {
    return this.#writeJson(file, value);
  }

  async #readJson(file: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`read ${file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`${file} is not valid JSON`);
    }
  }

  /** Write-then-rename, mode 0600 from the start (the secret is never world-readable, not even briefly). */
  async #writeJson(file: string, value: unknown): Promise<void> {
    const tmp = `${file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600).catch(() => undefined);
    await rename(tmp, file);
  }
}
