/**
 * Phone agents' per-app counters: stored with set semantics (a replay never counts twice), shown
 * by groupBy=app next to the device's own total, mobile bytes apart. Over the real agent socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { AgentAppUsage, GatewayMessage, UsageBreakdown } from '@packetpilot/protocol';
import { forEachDatabase } from '../db/testing.js';
import { buildTestApp, type TestApp } from '../api/testing.js';
import { AppUsageStore } from './app-usage.js';
import { agentAuthorization } from './auth.js';
import { ReportRejected } from './connection.js';

const HOUR = 3_600_000;

function report(
  seq: number,
  from: Date,
  apps: Array<[string, number, number, number?, number?]>,
): AgentAppUsage {
  return {
    type: 'appUsage',
    seq,
    period: { from: from.toISOString(), to: new Date(from.getTime() + 2 * HOUR).toISOString() },
    apps: apps.map(([pkg, wifiRx, wifiTx, mobileRx = 0, mobileTx = 0]) => ({
      package: pkg,
      label: pkg.split('.').pop()!,
      wifiRxBytes: wifiRx,
      wifiTxBytes: wifiTx,
      mobileRxBytes: mobileRx,
      mobileTxBytes: mobileTx,
    })),
  };
}

/** An Android agent enrolled with a code bound to the test app's device. */
async function enrollPhone(t: TestApp) {
  const enrollment = await t.agents.service.createEnrollment(
    { deviceId: t.deviceId },
    { userId: null, gatewayBaseUrl: 'http://gw.lan:8080' },
  );
  const { reply } = await t.agents.service.enroll(
    { code: enrollment.code, platform: 'android' },
    { addressDeviceId: null },
  );
  return reply;
}

forEachDatabase('Phone app usage', (target) => {
  test('a report replaces its period: replays and growing totals never count twice; bad reports are refused', async () => {
    const t = await buildTestApp(await target.empty());
    try {
      const store = new AppUsageStore(t.database.db, t.clock.now);
      const reply = await enrollPhone(t);
      const agent = { agentId: reply.agentId, deviceId: t.deviceId };
      const p1 = new Date(Math.floor(t.clock.now().getTime() / (2 * HOUR)) * 2 * HOUR - 2 * HOUR);
      const p2 = new Date(p1.getTime() + 2 * HOUR);
      await store.record(agent, report(1, p1, [['com.google.android.youtube', 1000, 100, 50, 5]]));
      await store.record(agent, report(1, p1, [['com.google.android.youtube', 1000, 100, 50, 5]])); // replay
      await store.record(agent, report(2, p1, [['com.google.android.youtube', 3000, 300, 50, 5]])); // grew
      await store.record(
        agent,
        report(3, p2, [
          ['com.google.android.youtube', 7, 3],
          ['org.telegram.messenger', 10, 20],
        ]),
      );
      const range = {
        deviceId: t.deviceId,
        from: new Date(p1.getTime() - HOUR),
        to: new Date(p2.getTime() + HOUR),
      };
      const rows = (await store.byApp(range)).sort((a, b) => a.package.localeCompare(b.package));
      assert.deepEqual(rows, [
        {
          package: 'com.google.android.youtube',
          label: 'youtube',
          wifiRxBytes: 3007,
          wifiTxBytes: 303,
          mobileRxBytes: 50,
          mobileTxBytes: 5,
        },
        {
          package: 'org.telegram.messenger',
          label: 'messenger',
          wifiRxBytes: 10,
          wifiTxBytes: 20,
          mobileRxBytes: 0,
          mobileTxBytes: 0,
        },
      ]);

      const refused = async (r: AgentAppUsage, who = agent) =>
        assert.rejects(() => store.record(who, r), ReportRejected);
      await refused(
        report(4, p1, [
          ['a.b', 1, 1],
          ['a.b', 2, 2],
        ]),
      );
      await refused({
        ...report(5, p1, [['a.b', 1, 1]]),
        period: { from: p2.toISOString(), to: p1.toISOString() },
      });
      await refused(report(6, new Date(t.clock.now().getTime() + 3 * HOUR), [['a.b', 1, 1]]));
      await refused(report(7, p1, [['a.b', 1, 1]]), {
        agentId: agent.agentId,
        deviceId: null as unknown as number,
      });
      assert.equal((await store.byApp(range)).length, 2, 'nothing of the refused reports kept');
    } finally {
      await t.close();
    }
  });

  test('over the agent socket: acked, shown by groupBy=app with the mobile bytes apart; a refused report is acked with an error', async () => {
    const t = await buildTestApp(await target.empty());
    try {
      const reply = await enrollPhone(t);
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/agent`, {
        headers: { authorization: agentAuthorization(reply.agentId, reply.secret) },
      });
      const messages: GatewayMessage[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(String(d)) as GatewayMessage));
      await once(ws, 'open');
      const next = async (type: GatewayMessage['type']) => {
        const end = Date.now() + 2000;
        for (;;) {
          const i = messages.findIndex((m) => m.type === type);
          if (i >= 0) return messages.splice(i, 1)[0]!;
          if (Date.now() > end) throw new Error(`no ${type} within 2 s: ${JSON.stringify(messages)}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const period = new Date(Math.floor(t.clock.now().getTime() / HOUR) * HOUR - HOUR);
      const sent = report(1, period, [
        ['com.google.android.youtube', 5_000_000, 200_000, 1_000_000, 20_000],
        ['com.whatsapp', 300_000, 100_000],
      ]);
      ws.send(JSON.stringify(sent));
      assert.deepEqual(await next('ack'), { type: 'ack', seq: 1 });
      ws.send(JSON.stringify(sent)); // the agent did not see the ack and sends it again
      assert.deepEqual(await next('ack'), { type: 'ack', seq: 1 });
      ws.send(
        JSON.stringify({
          ...report(2, period, [['x.y', 1, 1]]),
          period: { from: period.toISOString(), to: period.toISOString() },
        }),
      );
      assert.deepEqual(await next('ack'), { type: 'ack', seq: 2 });
      const refusal = (await next('error')) as { message: string; seq?: number };
      assert.match(refusal.message, /period/);
      assert.equal(refusal.seq, undefined, 'not one to send again');

      const res = await t.app.inject({
        url: `/api/v1/devices/${t.deviceId}/usage?groupBy=app&from=${encodeURIComponent(new Date(period.getTime() - HOUR).toISOString())}`,
        headers: (await t.signIn('viewer')).session.bearer,
      });
      assert.equal(res.statusCode, 200, res.body);
      const b = res.json<UsageBreakdown>();
      const group = (id: string) => b.groups.find((g) => g.id === id);
      assert.deepEqual(
        [group('com.google.android.youtube'), group('com.whatsapp')].map(
          (g) => g && [g.name, g.rxBytes, g.txBytes],
        ),
        [
          ['youtube', 5_000_000, 200_000],
          ['whatsapp', 300_000, 100_000],
        ],
      );
      assert.deepEqual(b.mobile, {
        rxBytes: 1_000_000,
        txBytes: 20_000,
        apps: [{ id: 'com.google.android.youtube', name: 'youtube', rxBytes: 1_000_000, txBytes: 20_000 }],
      });
      assert.equal(group('x.y'), undefined, 'the refused report is not kept');
      ws.close();
      await once(ws, 'close');
    } finally {
      await t.close();
    }
  });
});
