/**
 * Rule evaluation: which rule decides a (device, name) pair. The semantics are written down in
 * docs/decisions/0007-rule-precedence.md; in short, most specific wins — target first (domain,
 * longer first > service > category > internet), then scope (device > all), then allow beats
 * block — and with no matching rule, bypass endpoints are blocked for devices with bypass
 * prevention on. `decide` is the DNS hot path: rules are compiled into maps keyed by target, so
 * a decision costs one Map lookup per label of the name, and decisions are cached until the
 * generation changes.
 */
import type { RuleSpecificity, RuleTarget, RuleScope } from '@packetpilot/protocol';
import { BYPASS_KINDS, type BypassKind, type CategoryEntry, type ServiceEntry } from '../classify/catalog.js';
import { normaliseName } from '../classify/names.js';
import type { Decision, DomainPolicy } from './decision.js';

/** What the engine needs of a rule; RuleService passes whole API rules. */
export interface PolicyRule {
  readonly id: number;
  readonly action: 'block' | 'allow';
  readonly target: RuleTarget;
  readonly scope: RuleScope;
  readonly enabled: boolean;
}

/** The catalogue lookups the engine uses (Catalog implements them). */
export interface PolicyCatalog {
  serviceForDomain(name: string): ServiceEntry | null;
  bypassKind(name: string): BypassKind | null;
  category(id: string): CategoryEntry | null;
}

/**
 * Bypass lists whose names are blocked when no rule matches. 'browsers' is in: blocking
 * use-application-dns.net is how Firefox is told to keep DoH off. 'linux' (privacy distros'
 * websites) is informational only: visiting them does not get around the gateway.
 */
export const BYPASS_BLOCKED: ReadonlySet<BypassKind> = new Set<BypassKind>(
  BYPASS_KINDS.filter((k) => k !== 'linux'),
);

export type DecisionSource = 'rule' | 'bypass' | 'default';

export interface PolicyExplanation<R extends PolicyRule = PolicyRule> {
  /** The name as evaluated: lower-case, no trailing dot. */
  name: string;
  decision: Decision;
  reason: DecisionSource;
  /** Every enabled rule for the device that matches the name, most specific (the winner) first. */
  matched: Array<{ rule: R; specificity: RuleSpecificity }>;
  service: ServiceEntry | null;
  category: CategoryEntry | null;
  bypass: BypassKind | null;
  bypassPrevention: boolean;
}

export interface PolicyEngineOptions<R extends PolicyRule> {
  catalog: PolicyCatalog;
  rules?: readonly R[];
  /** Per-device bypass prevention flag; default on. Call invalidate() when a device's flag changes. */
  bypassPrevention?: (deviceId: number) => boolean;
  /** Bound of the decision cache (oldest entries go first). Default 50 000. */
  maxCachedDecisions?: number;
}

const ALLOW_DEFAULT: Decision = Object.freeze({ action: 'allow', ruleId: null });
const BLOCK_BYPASS: Decision = Object.freeze({ action: 'block', ruleId: null, reason: 'bypass' });

/** The rules of one target key (one domain, service, category, or the internet), pre-resolved. */
interface Slot {
  /** The winner among scope-all rules (allow over block, then lowest id). */
  all: Decision | undefined;
  /** The winner among each device's own rules. */
  device: Map<number, Decision>;
}

interface Compiled {
  domain: Map<string, Slot>;
  service: Map<string, Slot>;
  category: Map<string, Slot>;
  internet: Slot;
  /** App rules, keyed by lower-case name: enforced by agents, never matched against names. */
  app: Map<string, Slot>;
}

const TARGET_RANK = { app: 4, domain: 3, service: 2, category: 1, internet: 0 } as const;

export class PolicyEngine<R extends PolicyRule = PolicyRule> implements DomainPolicy {
  readonly #catalog: PolicyCatalog;
  readonly #bypassPrevention: (deviceId: number) => boolean;
  readonly #maxCached: number;
  readonly #cache = new Map<string, Decision>();
  #rules: readonly R[] = [];
  #compiled: Compiled = compile([]);
  #generation = 0;
  readonly #changeListeners: Array<() => void> = [];

  constructor(options: PolicyEngineOptions<R>) {
    this.#catalog = options.catalog;
    this.#bypassPrevention = options.bypassPrevention ?? (() => true);
    this.#maxCached = Math.max(1, options.maxCachedDecisions ?? 50_000);
    this.setRules(options.rules ?? []);
  }

  get generation(): number {
    return this.#generation;
  }

  /** Decisions currently cached (for tests and the health page). */
  get cachedDecisions(): number {
    return this.#cache.size;
  }

  /** Replaces the whole rule set (RuleService calls it after every change). */
  setRules(rules: readonly R[]): void {
    this.#rules = [...rules];
    this.#compiled = compile(this.#rules);
    this.invalidate();
  }

  /** Forgets cached decisions and bumps the generation, e.g. after a device's bypass flag changed. */
  invalidate(): void {
    this.#cache.clear();
    this.#generation++;
    for (const l of this.#changeListeners) l();
  }

  /** Called synchronously after every rule or device-setting change (copies of the policy follow it). */
  onChange(listener: () => void): void {
    this.#changeListeners.push(listener);
  }

  /** All rules, enabled or not, as last set. */
  rules(): readonly R[] {
    return this.#rules;
  }

  /** Enabled rules whose scope covers the device (its own and scope-all ones). */
  rulesForDevice(deviceId: number): R[] {
    return this.#rules.filter((r) => r.enabled && appliesTo(r, deviceId));
  }

  /**
   * The apps whose agents must block them on this device: an app rule of the device beats one for
   * all devices, allow beats block in the same scope. Names as the (first) deciding rule spells them.
   */
  blockedApps(deviceId: number): string[] {
    const out: string[] = [];
    for (const slot of this.#compiled.app.values()) {
      const decision = pick(slot, deviceId);
      if (decision?.action !== 'block' || decision.ruleId === null) continue;
      const rule = this.#rules.find((r) => r.id === decision.ruleId);
      if (rule?.target.type === 'app') out.push(rule.target.name);
    }
    return out.sort();
  }

  /** name: lower-case, no trailing dot (DomainPolicy's contract). */
  decide(deviceId: number, name: string): Decision {
    const key = `${deviceId}|${name}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const decision = this.#evaluate(deviceId, name);
    if (this.#cache.size >= this.#maxCached) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, decision);
    return decision;
  }

  /**
   * The decision for a name no domain, service or category rule matches: whether the internet
   * as a whole is blocked for the device (the enforcer's default for flows it cannot name).
   */
  internetBlocked(deviceId: number): Decision {
    return pick(this.#compiled.internet, deviceId) ?? ALLOW_DEFAULT;
  }

  /** Why `decide` says what it says: every matching rule, ordered as the precedence orders them. */
  explain(deviceId: number, rawName: string): PolicyExplanation<R> {
    const name = normaliseName(rawName.trim());
    const decision = this.#evaluate(deviceId, name);
    const service = this.#catalog.serviceForDomain(name);
    const category = service?.category ? this.#catalog.category(service.category) : null;
    const matched = this.#rules
      .filter((r) => r.enabled && appliesTo(r, deviceId) && matches(r.target, name, service))
      .map((rule) => ({ rule, specificity: specificityOf(rule) }))
      .sort((a, b) => compareMatches(a, b));
    const reason: DecisionSource =
      decision.ruleId !== null ? 'rule' : decision.action === 'block' ? 'bypass' : 'default';
    return {
      name,
      decision,
      reason,
      matched,
      service,
      category,
      bypass: this.#catalog.bypassKind(name),
      bypassPrevention: this.#bypassOn(deviceId),
    };
  }

  #evaluate(deviceId: number, name: string): Decision {
    const c = this.#compiled;
    if (c.domain.size > 0) {
      // Longest suffix first: the first one with a rule for this device is the most specific.
      let start = 0;
      for (;;) {
        const slot = c.domain.get(start === 0 ? name : name.slice(start));
        const decision = slot && pick(slot, deviceId);
        if (decision) return decision;
        const dot = name.indexOf('.', start);
        if (dot < 0) break;
        start = dot + 1;
      }
    }
    if (c.service.size > 0 || c.category.size > 0) {
      const service = this.#catalog.serviceForDomain(name);
      if (service) {
        const byService = c.service.get(service.id);
        const decision = byService && pick(byService, deviceId);
        if (decision) return decision;
        const byCategory = service.category ? c.category.get(service.category) : undefined;
        const fromCategory = byCategory && pick(byCategory, deviceId);
        if (fromCategory) return fromCategory;
      }
    }
    const internet = pick(c.internet, deviceId);
    if (internet) return internet;
    if (this.#bypassOn(deviceId)) {
      const kind = this.#catalog.bypassKind(name);
      if (kind !== null && BYPASS_BLOCKED.has(kind)) return BLOCK_BYPASS;
    }
    return ALLOW_DEFAULT;
  }

  #bypassOn(deviceId: number): boolean {
    return deviceId === 0 || this.#bypassPrevention(deviceId);
  }
}

function appliesTo(rule: PolicyRule, deviceId: number): boolean {
  return rule.scope.type === 'all' || rule.scope.id === deviceId;
}

function matches(target: RuleTarget, name: string, service: ServiceEntry | null): boolean {
  switch (target.type) {
    case 'internet':
      return true;
    case 'service':
      return service?.id === target.id;
    case 'category':
      return service !== null && service.category === target.id;
    case 'domain':
      return name === target.value || name.endsWith(`.${target.value}`);
    case 'app':
      return false;
  }
}

export function specificityOf(rule: PolicyRule): RuleSpecificity {
  return {
    target: rule.target.type,
    length: rule.target.type === 'domain' ? rule.target.value.length : 0,
    scope: rule.scope.type,
  };
}

/** Negative when `a` wins over `b`. */
function compareMatches(
  a: { rule: PolicyRule; specificity: RuleSpecificity },
  b: { rule: PolicyRule; specificity: RuleSpecificity },
): number {
  return (
    TARGET_RANK[b.specificity.target] - TARGET_RANK[a.specificity.target] ||
    b.specificity.length - a.specificity.length ||
    (b.specificity.scope === 'device' ? 1 : 0) - (a.specificity.scope === 'device' ? 1 : 0) ||
    (b.rule.action === 'allow' ? 1 : 0) - (a.rule.action === 'allow' ? 1 : 0) ||
    a.rule.id - b.rule.id
  );
}

function pick(slot: Slot, deviceId: number): Decision | undefined {
  return (deviceId !== 0 ? slot.device.get(deviceId) : undefined) ?? slot.all;
}

function decisionOf(rule: PolicyRule): Decision {
  return Object.freeze(
    rule.action === 'allow'
      ? { action: 'allow', ruleId: rule.id }
      : { action: 'block', ruleId: rule.id, reason: 'rule' },
  ) as Decision;
}

function compile(rules: readonly PolicyRule[]): Compiled {
  const compiled: Compiled = {
    domain: new Map(),
    service: new Map(),
    category: new Map(),
    internet: { all: undefined, device: new Map() },
    app: new Map(),
  };
  // Allow first, then by id: the first rule placed in a slot position is the one that wins it.
  const ordered = rules
    .filter((r) => r.enabled)
    .sort((a, b) => (a.action === b.action ? a.id - b.id : a.action === 'allow' ? -1 : 1));
  for (const rule of ordered) {
    const t = rule.target;
    let slot: Slot;
    if (t.type === 'internet') slot = compiled.internet;
    else {
      const map = compiled[t.type];
      const key = t.type === 'domain' ? t.value : t.type === 'app' ? t.name.toLowerCase() : t.id;
      slot = map.get(key) ?? { all: undefined, device: new Map() };
      map.set(key, slot);
    }
    if (rule.scope.type === 'all') slot.all ??= decisionOf(rule);
    else if (!slot.device.has(rule.scope.id)) slot.device.set(rule.scope.id, decisionOf(rule));
  }
  return compiled;
}
