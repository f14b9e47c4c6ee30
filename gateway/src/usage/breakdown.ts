import type { UsageBreakdown, UsageGroup, UsageGroupBy } from '@packetpilot/protocol';
import type { DomainUsage } from './flow-store.js';

export interface Classification {
  service: { id: string; name: string } | null;
  category: { id: string; name: string } | null;
}

/** Domain → service/category, from the catalogue (classify/). */
export interface DomainClassifier {
  classify(name: string): Classification;
}

export interface DomainUsageSource {
  byDomain(q: { deviceId: number; from: Date; to: Date }): Promise<DomainUsage[]>;
}

export const UNKNOWN_GROUP = 'unknown';
const HOUR_MS = 3_600_000;

/**
 * Per-device usage by service, category or domain. Flows store the name the device asked for;
 * the service and category are looked up now, so a catalogue update re-labels history too.
 * Names the catalogue does not know are their own group when grouping by domain, and "other"
 * by service/category; flows without DNS evidence are "unknown" in every grouping.
 */
export class UsageBreakdowns {
  constructor(
    private readonly flows: DomainUsageSource,
    private readonly catalog: DomainClassifier,
  ) {}

  async breakdown(q: {
    deviceId: number;
    from: Date;
    to: Date;
    groupBy: UsageGroupBy;
  }): Promise<UsageBreakdown> {
    const rows = await this.flows.byDomain(q);
    const groups = new Map<string, UsageGroup>();
    let rxBytes = 0;
    let txBytes = 0;
    for (const r of rows) {
      rxBytes += r.rxBytes;
      txBytes += r.txBytes;
      const key = this.#groupOf(r.domain, q.groupBy);
      const g = groups.get(key.id) ?? { ...key, rxBytes: 0, txBytes: 0, flows: 0 };
      g.rxBytes += r.rxBytes;
      g.txBytes += r.txBytes;
      g.flows += r.flows;
      groups.set(key.id, g);
    }
    return {
      deviceId: q.deviceId,
      from: new Date(Math.floor(q.from.getTime() / HOUR_MS) * HOUR_MS).toISOString(),
      to: q.to.toISOString(),
      groupBy: q.groupBy,
      groups: [...groups.values()].sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes)),
      rxBytes,
      txBytes,
    };
  }

  #groupOf(domain: string, by: UsageGroupBy): Pick<UsageGroup, 'id' | 'name' | 'category'> {
    if (!domain) return { id: UNKNOWN_GROUP, name: 'Unknown', category: null };
    const c = this.catalog.classify(domain);
    const category = c.category?.id ?? null;
    if (by === 'domain') return { id: domain, name: domain, category };
    if (by === 'service') {
      return c.service
        ? { id: c.service.id, name: c.service.name, category }
        : { id: 'other', name: 'Other websites', category: null };
    }
    return c.category
      ? { id: c.category.id, name: c.category.name, category: c.category.id }
      : { id: 'other', name: 'Other websites', category: null };
  }
}
