/**
 * Per-app byte totals reported by phone agents (`appUsage`), stored with set semantics: a report
 * replaces the row of its agent, app and period, so a replay, an app restart or a reboot never
 * counts twice (docs/android-agent.md).
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { AgentAppUsage } from '@packetpilot/protocol';
import type { Db } from '../db/open.js';
import { appUsagePeriods } from '../db/schema.js';
import type { PhoneAppSource, PhoneAppUsage } from '../usage/breakdown.js';
import { ReportRejected, type AgentIdentity } from './connection.js';

const DAY_MS = 86_400_000;
/** Phones' clocks drift; a period may start this far in the gateway's future. */
const CLOCK_SLACK_MS = 10 * 60_000;

export class AppUsageStore implements PhoneAppSource {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Keeps one report; throws ReportRejected when the report itself is wrong. */
  async record(agent: AgentIdentity, report: AgentAppUsage): Promise<void> {
    if (agent.deviceId === null) {
      throw new ReportRejected('appUsage: this agent is not bound to a device; re-enroll it from the phone');
    }
    const from = new Date(report.period.from);
    const to = new Date(report.period.to);
    const length = to.getTime() - from.getTime();
    if (!(length > 0 && length <= DAY_MS)) {
      throw new ReportRejected(
        `appUsage: period ${report.period.from}..${report.period.to} must be longer than 0 and at most a day`,
      );
    }
    if (from.getTime() > this.now().getTime() + CLOCK_SLACK_MS) {
      throw new ReportRejected(`appUsage: period starts in the future (${report.period.from})`);
    }
    const seen = new Set<string>();
    for (const app of report.apps) {
      if (seen.has(app.package)) throw new ReportRejected(`appUsage: ${app.package} twice in one report`);
      seen.add(app.package);
    }
    if (report.apps.length === 0) return;
    const updatedAt = this.now();
    const deviceId = agent.deviceId;
    await this.db
      .insert(appUsagePeriods)
      .values(
        report.apps.map((a) => ({
          agentId: agent.agentId,
          deviceId,
          package: a.package,
          label: a.label,
          periodFrom: from,
          periodTo: to,
          wifiRxBytes: a.wifiRxBytes,
          wifiTxBytes: a.wifiTxBytes,
          mobileRxBytes: a.mobileRxBytes,
          mobileTxBytes: a.mobileTxBytes,
          updatedAt,
        })),
      )
      .onConflictDoUpdate({
        target: [appUsagePeriods.agentId, appUsagePeriods.package, appUsagePeriods.periodFrom],
        set: {
          deviceId: sql`excluded.device_id`,
          label: sql`excluded.label`,
          periodTo: sql`excluded.period_to`,
          wifiRxBytes: sql`excluded.wifi_rx_bytes`,
          wifiTxBytes: sql`excluded.wifi_tx_bytes`,
          mobileRxBytes: sql`excluded.mobile_rx_bytes`,
          mobileTxBytes: sql`excluded.mobile_tx_bytes`,
          updatedAt: sql`excluded.updated_at`,
        },
      });
  }

  /** Per app over the periods that start in [from, to) (periods are the platform's, 2 h on Android). */
  async byApp(q: { deviceId: number; from: Date; to: Date }): Promise<PhoneAppUsage[]> {
    const t = appUsagePeriods;
    const sum = (c: typeof t.wifiRxBytes) => sql<number>`sum(${c})::bigint`.mapWith(Number);
    return this.db
      .select({
        package: t.package,
        label: sql<string>`max(${t.label})`,
        wifiRxBytes: sum(t.wifiRxBytes),
        wifiTxBytes: sum(t.wifiTxBytes),
        mobileRxBytes: sum(t.mobileRxBytes),
        mobileTxBytes: sum(t.mobileTxBytes),
      })
      .from(t)
      .where(and(eq(t.deviceId, q.deviceId), gte(t.periodFrom, q.from), lt(t.periodFrom, q.to)))
      .groupBy(t.package);
  }
}
