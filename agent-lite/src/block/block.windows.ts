/**
 * Blocking apps on Windows with Windows Defender Firewall program rules, one per executable path:
 *
 *   netsh advfirewall firewall add rule name="PacketPilot block <app>" dir=out program="<path>" action=block
 *
 * Paths come from the collector (Get-Process Path), so an app is blocked once it has been seen with
 * a socket; the rules the agent added are kept in the state directory so exactly those are removed.
 * The firewall judges new connections: ones open before the rule keep going until they close.
 */
import type { SocketOwner } from '../collect/collector.js';
import type { CommandRunner } from '../os/runner.js';
import type { Logger } from '../log.js';
import { appMatches, type AppBlocker, type BlockingMode } from './blocker.js';

export const RULE_PREFIX = 'PacketPilot block ';

/** The rule name for an app: no quotes or control characters (they would end the netsh argument). */
export function ruleName(app: string): string {
  const clean = [...app]
    .filter((c) => c !== '"' && c.charCodeAt(0) >= 0x20)
    .join('')
    .trim()
    .slice(0, 200);
  return `${RULE_PREFIX}${clean}`;
}

/** Arguments of `netsh` as Windows' command line carries them (run with `verbatim`). */
export function netshAddArgs(app: string, program: string): string[] {
  return [
    'advfirewall',
    'firewall',
    'add',
    'rule',
    `name="${ruleName(app)}"`,
    'dir=out',
    `program="${program.replace(/"/g, '')}"`,
    'action=block',
  ];
}

export function netshDeleteArgs(app: string): string[] {
  return ['advfirewall', 'firewall', 'delete', 'rule', `name="${ruleName(app)}"`];
}

/** Rules the agent added: app name (as in the policy) → executable paths. */
export type FirewallRules = Record<string, string[]>;

export interface WindowsBlockerOptions {
  runner: CommandRunner;
  log: Logger;
  loadRules: () => Promise<FirewallRules>;
  saveRules: (rules: FirewallRules) => Promise<void>;
}

export class WindowsBlocker implements AppBlocker {
  mode: BlockingMode = 'enforced';
  #blocked: readonly string[] = [];
  #rules: FirewallRules | undefined;
  /** Executable paths seen per app name (lower case), from snapshots. */
  readonly #paths = new Map<string, Set<string>>();

  constructor(private readonly o: WindowsBlockerOptions) {}

  async apply(blockedApps: readonly string[]): Promise<void> {
    this.#blocked = [...blockedApps];
    const rules = await this.#load();
    for (const app of Object.keys(rules)) {
      if (this.#blocked.some((b) => b.toLowerCase() === app.toLowerCase())) continue;
      if (await this.#netsh(netshDeleteArgs(app))) delete rules[app];
    }
    for (const app of this.#blocked) {
      for (const path of this.#paths.get(app.toLowerCase()) ?? []) await this.#add(app, path);
    }
    await this.#save();
  }

  async enforce(owners: readonly SocketOwner[]): Promise<void> {
    let changed = false;
    for (const s of owners) {
      if (!s.app.path) continue;
      const key = s.app.name.toLowerCase();
      const seen = this.#paths.get(key) ?? new Set<string>();
      if (!seen.has(s.app.path)) this.#paths.set(key, seen.add(s.app.path));
      const entry = this.#blocked.find((b) => appMatches(s.app, [b]));
      if (entry !== undefined && (await this.#add(entry, s.app.path))) changed = true;
    }
    if (changed) await this.#save();
  }

  async cleanup(): Promise<void> {
    const rules = await this.#load();
    for (const app of Object.keys(rules)) if (await this.#netsh(netshDeleteArgs(app))) delete rules[app];
    await this.#save();
  }

  close(): void {}

  /** Adds the rule unless it is there; true if it was added now. */
  async #add(app: string, path: string): Promise<boolean> {
    const rules = await this.#load();
    const paths = (rules[app] ??= []);
    if (paths.includes(path)) return false;
    if (!(await this.#netsh(netshAddArgs(app, path)))) return false;
    paths.push(path);
    this.o.log.info({ app, path }, 'firewall rule added');
    return true;
  }

  async #netsh(args: string[]): Promise<boolean> {
    try {
      const r = await this.o.runner.run('netsh', args, { verbatim: true });
      if (r.code === 0) {
        this.mode = 'enforced';
        return true;
      }
      this.o.log.warn({ cmd: `netsh ${args.join(' ')}`, out: (r.stdout || r.stderr).trim() }, 'netsh failed');
      if (/elevat|administrator|access is denied/i.test(r.stdout + r.stderr)) this.mode = 'unavailable';
    } catch (err) {
      this.mode = 'unavailable';
      this.o.log.error({ err: (err as Error).message }, 'cannot run netsh');
    }
    return false;
  }

  async #load(): Promise<FirewallRules> {
    this.#rules ??= await this.o.loadRules().catch(() => ({}));
    return this.#rules;
  }

  async #save(): Promise<void> {
    if (this.#rules) await this.o.saveRules(this.#rules).catch(() => undefined);
  }
}
