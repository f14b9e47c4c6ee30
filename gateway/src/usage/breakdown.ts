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

/** The device's exact total (nft counters) over a range: what per-app numbers add up to. */
export interface DeviceTotalSource {
  total(q: { deviceId: number; from: Date; to: Date }): Promise<{ rxBytes: number; txBytes: number }>;
}

export const UNATTRIBUTED_GROUP = 'unattributed';

/** One app's totals over a range, Wi-Fi (through the gateway) and mobile (never through it). */
export interface PhoneAppUsage {
  package: string;
  label: string;
  wifiRxBytes: number;
  wifiTxBytes: number;
  mobileRxBytes: number;
  mobileTxBytes: number;
}

/** Per-app totals phone agents reported (agents/app-usage.ts). */
export interface PhoneAppSource {
  byApp(q: { deviceId: number; from: Date; to: Date }): Promise<PhoneAppUsage[]>;
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
    private readonly totals: DeviceTotalSource | null = null,
    private readonly phones: PhoneAppSource | null = null,
  ) {}

  async breakdown(q: {
    deviceId: number;
    from: Date;
    to: Date;
    groupBy: UsageGroupBy;
    /** Only the flows of this app (what it talked to: its DNS names, services). */
    app?: string;
  }): Promise<UsageBreakdown> {
    if (q.groupBy === 'app') return this.#byApp(q);
    const all = await this.flows.byDomain(q);
    const rows = q.app === undefined ? all : all.filter((r) => r.app === q.app);
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

  /**
   * Per app, from the flows agents named; "unattributed" is the rest of the device's exact total
   * (flows no agent reported, the device's own traffic to the gateway excluded), so the groups add
   * up to the device's total for the (hour-aligned) range.
   */
  async #byApp(q: { deviceId: number; from: Date; to: Date }): Promise<UsageBreakdown> {
    const from = new Date(Math.floor(q.from.getTime() / HOUR_MS) * HOUR_MS);
    const [rows, total, phoneApps] = await Promise.all([
      this.flows.byDomain(q),
      this.totals ? this.totals.total({ deviceId: q.deviceId, from, to: q.to }) : null,
      this.phones ? this.phones.byApp({ deviceId: q.deviceId, from, to: q.to }) : [],
    ]);
    const groups = new Map<string, UsageGroup>();
    let rxBytes = 0;
    let txBytes = 0;
    let rest = { rxBytes: 0, txBytes: 0, flows: 0 };
    for (const r of rows) {
      if (!r.app) {
        rest = {
          rxBytes: rest.rxBytes + r.rxBytes,
          txBytes: rest.txBytes + r.txBytes,
          flows: rest.flows + r.flows,
        };
        continue;
      }
      const g = groups.get(r.app) ?? {
        id: r.app,
        name: r.app,
        category: null,
        rxBytes: 0,
        txBytes: 0,
        flows: 0,
      };
      g.rxBytes += r.rxBytes;
      g.txBytes += r.txBytes;
      g.flows += r.flows;
      groups.set(r.app, g);
      rxBytes += r.rxBytes;
      txBytes += r.txBytes;
    }
    // A phone's own counters: Wi-Fi bytes went through the gateway (an app group each, keyed by
    // package as app rules are); mobile bytes did not and are reported apart.
    const mobile = {
      rxBytes: 0,
      txBytes: 0,
      apps: [] as Array<{ id: string; name: string; rxBytes: number; txBytes: number }>,
    };
    for (const p of phoneApps) {
      if (p.wifiRxBytes + p.wifiTxBytes > 0) {
        const g = groups.get(p.package) ?? {
          id: p.package,
          name: p.label || p.package,
          category: null,
          rxBytes: 0,
          txBytes: 0,
          flows: 0,
        };
        g.rxBytes += p.wifiRxBytes;
        g.txBytes += p.wifiTxBytes;
        groups.set(p.package, g);
        rxBytes += p.wifiRxBytes;
        txBytes += p.wifiTxBytes;
      }
      if (p.mobileRxBytes + p.mobileTxBytes > 0) {
        mobile.apps.push({
          id: p.package,
          name: p.label || p.package,
          rxBytes: p.mobileRxBytes,
          txBytes: p.mobileTxBytes,
        });
        mobile.rxBytes += p.mobileRxBytes;
        mobile.txBytes += p.mobileTxBytes;
      }
    }
    mobile.apps.sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes));
    const deviceRx = total?.rxBytes ?? rxBytes + rest.rxBytes;
    const deviceTx = total?.txBytes ?? txBytes + rest.txBytes;
    const list = [...groups.values()].sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes));
    list.push({
      id: UNATTRIBUTED_GROUP,
      name: 'Unattributed',
      category: null,
      rxBytes: Math.max(0, deviceRx - rxBytes),
      txBytes: Math.max(0, deviceTx - txBytes),
      flows: rest.flows,
    });
    return {
      deviceId: q.deviceId,
      from: from.toISOString(),
      to: q.to.toISOString(),
      groupBy: 'app',
      groups: list,
      rxBytes: Math.max(deviceRx, rxBytes),
      txBytes: Math.max(deviceTx, txBytes),
      ...(phoneApps.length > 0 ? { mobile } : {}),
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
