import type { UsageSeries, UsageSummary, Bucket } from '@packetpilot/protocol';
import type { UsageStore } from './store.js';
import { UNATTRIBUTED_DEVICE } from './store.js';

export interface DeviceNames {
  nameOf(deviceId: number): Promise<string | null>;
}

/** The usage API's answers, shaped from the store; no HTTP here. */
export class UsageQueries {
  constructor(
    private readonly store: UsageStore,
    private readonly names: DeviceNames,
  ) {}

  async series(q: { deviceId: number; from: Date; to: Date; bucket: Bucket }): Promise<UsageSeries> {
    const points = await this.store.series({ ...q, kind: 0, fill: true });
    let rxBytes = 0;
    let txBytes = 0;
    for (const p of points) {
      rxBytes += p.rxBytes;
      txBytes += p.txBytes;
    }
    return {
      deviceId: q.deviceId,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      bucket: q.bucket,
      points: points.map((p) => ({ start: p.start.toISOString(), rxBytes: p.rxBytes, txBytes: p.txBytes })),
      rxBytes,
      txBytes,
    };
  }

  async summary(q: { from: Date; to: Date; limit: number }): Promise<UsageSummary> {
    const internet = await this.store.totals({ from: q.from, to: q.to, kind: 0 });
    const sumOf = async (kind: 1 | 2) => {
      const rows = await this.store.totals({ from: q.from, to: q.to, kind });
      return rows.reduce((a, r) => ({ rxBytes: a.rxBytes + r.rxBytes, txBytes: a.txBytes + r.txBytes }), {
        rxBytes: 0,
        txBytes: 0,
      });
    };
    const unattributed = internet.find((r) => r.deviceId === UNATTRIBUTED_DEVICE);
    const devices = internet
      .filter((r) => r.deviceId !== UNATTRIBUTED_DEVICE)
      .sort((a, b) => b.rxBytes + b.txBytes - (a.rxBytes + a.txBytes))
      .slice(0, q.limit);
    return {
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      devices: await Promise.all(
        devices.map(async (d) => ({ ...d, name: await this.names.nameOf(d.deviceId) })),
      ),
      unattributed: { rxBytes: unattributed?.rxBytes ?? 0, txBytes: unattributed?.txBytes ?? 0 },
      gateway: await sumOf(1),
      lan: await sumOf(2),
    };
  }
}
