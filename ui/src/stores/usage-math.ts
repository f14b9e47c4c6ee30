/** Sums and day boundaries behind the usage views; pure, tested in usage-math.test.ts. */
import type { UsageBreakdown, UsageGroup } from '@packetpilot/protocol';

export interface GroupTotal {
  id: string;
  name: string;
  rxBytes: number;
  txBytes: number;
  flows: number;
}

/** Local midnight of the day `now` is in. */
export function startOfToday(now: Date = new Date()): Date {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d;
}

export const total = (g: { rxBytes: number; txBytes: number }) => g.rxBytes + g.txBytes;

/** Groups of several devices' breakdowns merged by id, largest first. */
export function sumGroups(breakdowns: readonly Pick<UsageBreakdown, 'groups'>[]): GroupTotal[] {
  const byId = new Map<string, GroupTotal>();
  for (const b of breakdowns) {
    for (const g of b.groups as readonly UsageGroup[]) {
      const t = byId.get(g.id);
      if (t) {
        t.rxBytes += g.rxBytes;
        t.txBytes += g.txBytes;
        t.flows += g.flows;
      } else
        byId.set(g.id, { id: g.id, name: g.name, rxBytes: g.rxBytes, txBytes: g.txBytes, flows: g.flows });
    }
  }
  return [...byId.values()].sort((a, b) => total(b) - total(a) || a.name.localeCompare(b.name));
}
