/**
 * The admin side of rules: validates against the catalogue and the devices, writes the store,
 * hands the new rule set to the engine and tells subscribers (the enforcer) what changed. A
 * mutation resolves only after every subscriber's promise has settled, so when the API answers,
 * the block is in force (DNS answers, nft sets, killed flows).
 */
import type { Rule, RuleCreate, RuleExplanation, RulePatch } from '@packetpilot/protocol';
import { isValidName } from '../classify/names.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PolicyEngine } from './engine.js';
import {
  checkNote,
  checkScope,
  checkTarget,
  normaliseDomainInput,
  type CatalogIds,
  type DeviceExistence,
} from './rule-input.js';
import type { RuleRecord, RuleStore } from './rule-store.js';

export interface RuleChange {
  /** null for a new rule. */
  before: Rule | null;
  /** null for a deleted rule. */
  after: Rule | null;
}

export type RuleChangeListener = (change: RuleChange) => void | Promise<void>;

export type RuleRepo = Pick<RuleStore, 'list' | 'get' | 'create' | 'update' | 'delete'>;

export interface RuleServiceDeps {
  store: RuleRepo;
  catalog: CatalogIds;
  engine: PolicyEngine<Rule>;
  devices: DeviceExistence;
  log?: Logger;
}

export class RuleService {
  readonly #deps: RuleServiceDeps;
  readonly #listeners = new Set<RuleChangeListener>();
  /** Mutations run one at a time, so the engine and the listeners see changes in order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: RuleServiceDeps) {
    this.#deps = deps;
  }

  /** Reads every rule into the engine: at start, and after rules changed behind our back (a device deleted). */
  async load(): Promise<void> {
    await this.#serial(() => this.#refresh());
  }

  /**
   * Called after every change with the rule before and after it. The mutation (and the API reply)
   * waits for the returned promise; a rejection is logged, the change itself stands.
   * Returns a function that unsubscribes.
   */
  onChange(listener: RuleChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Oldest first; with deviceId, only rules whose scope covers that device (enabled or not). */
  async list(filter: { deviceId?: number } = {}): Promise<Rule[]> {
    const { deviceId } = filter;
    if (deviceId !== undefined) await this.#deviceMustExist(deviceId);
    const all = (await this.#deps.store.list()).map(toWire);
    return deviceId === undefined
      ? all
      : all.filter((r) => r.scope.type === 'all' || r.scope.id === deviceId);
  }

  async get(id: number): Promise<Rule> {
    const record = await this.#deps.store.get(id);
    if (!record) throw notFound(id);
    return toWire(record);
  }

  async create(input: RuleCreate): Promise<Rule> {
    const target = checkTarget(input.target, this.#deps.catalog);
    const scope = await checkScope(input.scope, this.#deps.devices);
    return this.#serial(async () => {
      const after = toWire(
        await this.#deps.store.create({
          action: input.action,
          target,
          scope,
          enabled: input.enabled ?? true,
          note: checkNote(input.note) ?? null,
        }),
      );
      await this.#changed({ before: null, after });
      return after;
    });
  }

  async update(id: number, patch: RulePatch): Promise<Rule> {
    // Only what the patch names is checked: toggling a rule whose service left the catalogue works.
    const target = patch.target && checkTarget(patch.target, this.#deps.catalog);
    const scope = patch.scope && (await checkScope(patch.scope, this.#deps.devices));
    return this.#serial(async () => {
      const existing = await this.#deps.store.get(id);
      if (!existing) throw notFound(id);
      const updated = await this.#deps.store.update(id, {
        action: patch.action,
        target,
        scope,
        enabled: patch.enabled,
        note: checkNote(patch.note),
      });
      if (!updated) throw notFound(id);
      const change = { before: toWire(existing), after: toWire(updated) };
      await this.#changed(change);
      return change.after;
    });
  }

  async delete(id: number): Promise<void> {
    await this.#serial(async () => {
      const deleted = await this.#deps.store.delete(id);
      if (!deleted) throw notFound(id);
      await this.#changed({ before: toWire(deleted), after: null });
    });
  }

  /** Why the device gets what it gets for the name: the explain API. deviceId 0 = unknown client. */
  async explain(deviceId: number, domain: string): Promise<RuleExplanation> {
    if (deviceId !== 0) await this.#deviceMustExist(deviceId);
    let name: string;
    try {
      name = normaliseDomainInput(domain, 'domain');
    } catch (err) {
      // Names outside host syntax (_dmarc.example.com) still resolve; explain them too.
      name = domain.trim().toLowerCase().replace(/\.$/, '');
      if (!isValidName(name, 'dns')) throw err;
    }
    const e = this.#deps.engine.explain(deviceId, name);
    // The engine's copies carry the hit counters of the last change; show current ones.
    const current = new Map((await this.#deps.store.list()).map((r) => [r.id, toWire(r)] as const));
    const matched = e.matched.map((m) => ({
      rule: current.get(m.rule.id) ?? m.rule,
      specificity: m.specificity,
    }));
    return {
      deviceId,
      domain: e.name,
      decision: e.decision.action,
      reason: e.reason,
      rule: e.decision.ruleId === null ? null : (matched[0]?.rule ?? null),
      matched,
      service: e.service && { id: e.service.id, name: e.service.name },
      category: e.category && { id: e.category.id, name: e.category.name },
      bypass: e.bypass,
      bypassPrevention: e.bypassPrevention,
    };
  }

  async #refresh(): Promise<void> {
    this.#deps.engine.setRules((await this.#deps.store.list()).map(toWire));
  }

  async #changed(change: RuleChange): Promise<void> {
    await this.#refresh();
    const results = await Promise.allSettled([...this.#listeners].map(async (l) => l(change)));
    for (const r of results) {
      if (r.status === 'rejected') {
        this.#deps.log?.error(
          { err: r.reason, ruleId: change.after?.id ?? change.before?.id },
          'rule change listener failed; the rule is saved but may not be fully enforced',
        );
      }
    }
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #deviceMustExist(id: number): Promise<void> {
    if (!(await this.#deps.devices.exists(id)))
      throw new AppError('PP_E_NOT_FOUND', `device ${id} not found`);
  }
}

function notFound(id: number): AppError {
  return new AppError('PP_E_NOT_FOUND', `rule ${id} not found`);
}

export function toWire(r: RuleRecord): Rule {
  return {
    id: r.id,
    action: r.action,
    target: r.target,
    scope: r.scope,
    enabled: r.enabled,
    note: r.note,
    hits: r.hits,
    lastHitAt: r.lastHitAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
