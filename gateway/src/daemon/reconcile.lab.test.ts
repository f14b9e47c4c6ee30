/**
 * The daemon on PostgreSQL (the storage tests run on both; this runs the whole gateway on it).
 * The WAN reconciliation on the real kernel: when something outside our table drops forwarded
 * packets (here: another table's forward chain that runs before our accounting), the WAN
 * interface carries bytes that no device was counted for, and the health API says so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { createTestDatabase } from '../db/testing.js';
import { GATEWAY_URL, GatewayProcess, runCli, until } from '../testing/gateway-process.js';
import { LAB, labClient, labDown, labUp, execIn } from '../lab/index.js';

const skip = requireRootOrSkip();
let database: { url: string; drop(): Promise<void> } | null = null;
let gateway: GatewayProcess;

interface HealthReply {
  warnings: Array<{ code: string; message: string }>;
  accounting: { wanGapPercent: number | null };
}
const health = async () => (await (await fetch(`${GATEWAY_URL}/api/v1/health`)).json()) as HealthReply;

before(async () => {
  if (skip) return;
  await labDown();
  await labUp();
  database = await createTestDatabase();
  const created = await runCli(
    ['admin', 'create', '--username', 'admin', '--password-stdin', '--database-url', database.url],
    'reconcile test password',
  );
  assert.equal(created.code, 0, created.stderr);
  gateway = new GatewayProcess(['--database-url', database.url]);
  await gateway.start();
});

after(async () => {
  if (skip) return;
  await gateway?.stop();
  await labDown();
  await database?.drop();
});

test('the gateway runs on PostgreSQL', { skip }, async () => {
  const h = (await (await fetch(`${GATEWAY_URL}/api/v1/health`)).json()) as { database: string };
  assert.equal(h.database, 'postgres');
});

test(
  'a foreign firewall dropping downloads before our counters raises accounting_gap',
  { skip },
  async () => {
    const c = labClient(1);
    // Every other large UDP download packet dropped before the accounting chain (priority 10)
    // sees it; iperf3's small handshake datagrams pass.
    await execIn(LAB.ns.gw, 'nft', ['-f', '-'], {
      input: [
        'table inet ppt_foreign {',
        '  chain early_drop {',
        '    type filter hook forward priority -50;',
        `    iifname "${LAB.gw.wanIf}" meta l4proto udp meta length > 1000 numgen inc mod 2 == 0 drop`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    try {
      // UDP keeps sending regardless of loss (TCP would just slow down): 8 MB over 4 s.
      await execIn(
        c.ns,
        'iperf3',
        ['-4', '-c', LAB.wan.server4, '-u', '-R', '-b', '16M', '-t', '4', '-l', '1200'],
        {
          timeoutMs: 20_000,
        },
      );
      const h = await until(
        'the accounting_gap warning',
        async () => {
          const r = await health();
          return r.warnings.some((w) => w.code === 'accounting_gap') ? r : undefined;
        },
        15_000,
        250,
      );
      assert.ok((h.accounting.wanGapPercent ?? 0) > 10, `gap ${h.accounting.wanGapPercent}`);
    } finally {
      await execIn(LAB.ns.gw, 'nft', ['delete', 'table', 'inet', 'ppt_foreign']).catch(() => undefined);
    }
    // With the foreign drop gone, the next window balances and the warning clears.
    await execIn(
      c.ns,
      'iperf3',
      ['-4', '-c', LAB.wan.server4, '-u', '-R', '-b', '16M', '-t', '4', '-l', '1200'],
      {
        timeoutMs: 20_000,
      },
    );
    await until(
      'the warning to clear',
      async () => !(await health()).warnings.some((w) => w.code === 'accounting_gap'),
      15_000,
      250,
    );
  },
);
