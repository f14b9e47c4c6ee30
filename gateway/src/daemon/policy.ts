import type { Rule } from '@packetpilot/protocol';
import type { Logger } from '../log.js';
import type { CommandRunner } from '../os/runner.js';
import type { Db } from '../db/open.js';
import type { DeviceStore } from '../db/device-store.js';
import type { DeviceScanner } from '../discovery/scanner.js';
import type { DeviceService } from '../discovery/service.js';
import type { Nft } from '../netfilter/index.js';
import { Catalog } from '../classify/catalog.js';
import { PolicyEngine } from '../policy/engine.js';
import { RuleService } from '../policy/rule-service.js';
import { RuleStore } from '../policy/rule-store.js';
import { Enforcer } from '../policy/enforcer.js';
import { PolicyApplier, type LabelledFlows } from '../policy/applier.js';
import { HitCounter } from '../policy/hits.js';
import type { AnswerMemory } from '../attribution/answers.js';
import { killFlows } from '../conntrack/kill.js';
import { CT_MARK_BLOCKED, type PolicyGeneration } from '../netfilter/gateway-table.js';
import type { PolicySnapshot } from './dns-thread/messages.js';

export interface PolicyStack {
  catalog: Catalog;
  engine: PolicyEngine<Rule>;
  rules: RuleService;
  applier: PolicyApplier;
  memory: AnswerMemory;
  hits: HitCounter;
  /** After a scan: new devices may need their MAC in the kernel sets. */
  refreshDevices(): Promise<void>;
  /** What the engine decides from, for the DNS thread's copy (engine.onChange says when it moved). */
  snapshot(): PolicySnapshot;
}

/**
 * Catalogue, rules, the engine that decides, and the applier that turns decisions into kernel
 * state. Rule and device-setting changes are applied before the API call that made them returns.
 */
export async function startPolicy(o: {
  db: Db;
  runner: CommandRunner;
  nft: Nft;
  deviceStore: DeviceStore;
  scanner: DeviceScanner;
  devices: DeviceService;
  flows: LabelledFlows;
  memory: AnswerMemory;
  /** The gateway table's policy gate, moved on by every enforcer batch. */
  generation: PolicyGeneration;
  log: Logger;
}): Promise<PolicyStack> {
  const log = o.log.child({ module: 'policy' });
  const catalog = Catalog.load(undefined, log);

  let exempt = new Set<number>();
  const engine = new PolicyEngine<Rule>({ catalog, bypassPrevention: (id) => !exempt.has(id) });
  const rules = new RuleService({ store: new RuleStore(o.db), catalog, engine, devices: o.devices, log });
  await rules.load();

  const memory = o.memory;
  const hits = new HitCounter(new RuleStore(o.db), log);
  const applier = new PolicyApplier({
    policy: engine,
    enforcer: new Enforcer(o.nft, { log, generation: o.generation }),
    killer: {
      kill: (selectors) =>
        killFlows(
          o.runner,
          selectors.map(({ blockedOnly, ...s }) => (blockedOnly ? { ...s, markBits: CT_MARK_BLOCKED } : s)),
        ),
    },
    memory,
    devices: o.scanner,
    flags: {
      flags: async () => {
        const f = await o.deviceStore.flags();
        const next = new Set(f.bypassExempt);
        if ([...next].join() !== [...exempt].join()) {
          exempt = next;
          engine.invalidate();
        }
        return f;
      },
    },
    flows: o.flows,
    hits,
    log,
  });
  rules.onChange(async () => {
    await applier.applyRules();
  });
  o.devices.onChange(async () => {
    await applier.applyDevices();
    await applier.applyRules();
  });
  await applier.applyDevices();
  await applier.applyRules();
  return {
    catalog,
    engine,
    rules,
    applier,
    memory,
    hits,
    refreshDevices: () => applier.applyDevices(),
    snapshot: () => ({ rules: [...engine.rules()], bypassExempt: [...exempt] }),
  };
}
