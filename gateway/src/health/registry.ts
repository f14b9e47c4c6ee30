/**
 * Degraded states the admin must see (conntrack events lost, accounting gap, acct off).
 * A warning is raised by the module that detects it and cleared by the same module when
 * the condition ends; the API lists what is active.
 */
export type Severity = 'warning' | 'error';

export interface HealthWarning {
  code: string;
  severity: Severity;
  message: string;
  since: string;
}

export class HealthRegistry {
  readonly #active = new Map<string, HealthWarning>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  raise(code: string, message: string, severity: Severity = 'warning'): void {
    const existing = this.#active.get(code);
    this.#active.set(code, {
      code,
      severity,
      message,
      since: existing?.since ?? this.now().toISOString(),
    });
  }

  clear(code: string): void {
    this.#active.delete(code);
  }

  list(): HealthWarning[] {
    // codes are ASCII; localeCompare would load ICU's collation tables (~3 MB) for a plain sort
    return [...this.#active.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  }
}
