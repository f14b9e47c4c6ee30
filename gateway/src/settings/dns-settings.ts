import { Value } from 'typebox/value';
import { DnsSettings as DnsSettingsSchema, type DnsSettingsPatch } from '@packetpilot/protocol';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_DNS_SETTINGS, type DnsSettings } from '../dns/types.js';
import { parseUpstream } from '../dns/upstream.js';
import type { SettingsStore } from './store.js';

const KEY = 'dns';

/** Every upstream must parse; the error names each bad one. */
export function checkUpstreams(upstreams: readonly string[]): void {
  const bad: string[] = [];
  for (const u of upstreams) {
    try {
      parseUpstream(u);
    } catch {
      bad.push(JSON.stringify(u));
    }
  }
  if (bad.length) {
    throw new AppError(
      'PP_E_VALIDATION',
      `upstreams: not an address: ${bad.join(', ')} (expected 9.9.9.9, 9.9.9.9:53 or [2620:fe::fe]:53)`,
    );
  }
}

const validUpstreams = (upstreams: readonly string[]) => {
  try {
    checkUpstreams(upstreams);
    return true;
  } catch {
    return false;
  }
};

/**
 * The resolver's settings: stored in the settings table, with the command line's --upstream as
 * the value until an admin changes it. Listeners (the DNS server) get every accepted change.
 */
export class DnsSettingsService {
  #current: DnsSettings;
  readonly #listeners: Array<(s: DnsSettings) => void> = [];

  private constructor(
    private readonly store: SettingsStore,
    initial: DnsSettings,
  ) {
    this.#current = initial;
  }

  static async load(
    store: SettingsStore,
    o: { cliUpstreams: readonly string[]; log: Logger },
  ): Promise<DnsSettingsService> {
    const base: DnsSettings = { ...DEFAULT_DNS_SETTINGS, upstreams: [...o.cliUpstreams] };
    const saved = await store.get(KEY);
    let initial = base;
    if (saved !== undefined) {
      const merged = { ...base, ...(saved as object) };
      if (Value.Check(DnsSettingsSchema, merged) && validUpstreams(merged.upstreams)) {
        initial = merged;
      } else {
        // A bad stored value must not stop the resolver: fall back and say so.
        o.log.warn({ saved }, 'stored DNS settings are invalid; using defaults and --upstream');
      }
    }
    return new DnsSettingsService(store, initial);
  }

  get(): DnsSettings {
    return { ...this.#current, upstreams: [...this.#current.upstreams] };
  }

  onChange(listener: (s: DnsSettings) => void): void {
    this.#listeners.push(listener);
  }

  async update(patch: DnsSettingsPatch): Promise<DnsSettings> {
    if (patch.upstreams) checkUpstreams(patch.upstreams);
    const next = { ...this.#current, ...patch };
    await this.store.put(KEY, next);
    this.#current = next;
    for (const l of this.#listeners) l(this.get());
    return this.get();
  }
}
