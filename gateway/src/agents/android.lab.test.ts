/**
 * A simulated phone in a lab client: the Android app's core on the JVM (agent-android's
 * SimulatedPhone, scripted system counters) against the real gateway. It enrolls, reports two
 * apps' usage, gets an app block within 2 s, and is refused once revoked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Agent, EnrollmentCreated, Rule, UsageBreakdown } from '@packetpilot/protocol';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { GATEWAY_URL, startLabGateway, until, type LabGateway } from '../testing/gateway-process.js';
import { LAB, execIn, labClient } from '../lab/index.js';
import { systemRunner as runner } from '../os/runner.js';

const ANDROID = fileURLToPath(new URL('../../../agent-android/', import.meta.url));
const CLASSPATH_FILE = join(ANDROID, 'target/sim.classpath');

function simulatorMissing(): string | false {
  if (existsSync(CLASSPATH_FILE) && existsSync(join(ANDROID, 'target/classes'))) return false;
  const why = 'agent-android is not built (npm run build:android)';
  if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
  return why;
}

const skip = requireRootOrSkip() || simulatorMissing();
const phone = labClient(2);
const YOUTUBE = 'com.google.android.youtube';
const TELEGRAM = 'org.telegram.messenger';

let lab: LabGateway | undefined;
let dir = '';
let sim: ChildProcess | undefined;
/** Every stdout line of the simulated phone with the time it arrived here. */
const lines: Array<{ at: number; text: string }> = [];
let deviceId = 0;

before(async () => {
  if (skip) return;
  lab = await startLabGateway();
  dir = await mkdtemp(join(tmpdir(), 'pp-phone-'));
});

after(async () => {
  if (skip) return;
  sim?.kill('SIGTERM');
  await lab?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The app's scripted system counters; replaced atomically, as the simulator asks. */
async function script(
  apps: Array<
    [pkg: string, wifiRx: number, wifiTx: number, mobileRx: number, mobileTx: number, label: string]
  >,
) {
  const text = apps.map((a) => `app ${a.join(' ')}`).join('\n');
  await writeFile(join(dir, 'script.next'), `${text}\n`);
  await rename(join(dir, 'script.next'), join(dir, 'script'));
}

function startPhone(extra: string[]): ChildProcess {
  const classpath = `${join(ANDROID, 'target/classes')}:${readFileSync(CLASSPATH_FILE, 'utf8').trim()}`;
  const child = runner.spawn(
    'java',
    [
      '-cp',
      classpath,
      'com.packetpilot.agent.sim.SimulatedPhone',
      '--state-dir',
      join(dir, 'state'),
      '--script',
      join(dir, 'script'),
      '--report-interval-ms',
      '500',
      ...extra,
    ],
    { netns: phone.ns },
  );
  createInterface({ input: child.stdout! }).on('line', (text) => lines.push({ at: Date.now(), text }));
  child.stderr!.on('data', (d: Buffer) =>
    lines.push({ at: Date.now(), text: `stderr: ${d.toString().trim()}` }),
  );
  return child;
}

const log = () =>
  lines
    .map((l) => l.text)
    .join('\n')
    .slice(-3000);
const seen = (re: RegExp, since = 0) => lines.find((l) => l.at >= since && re.test(l.text));
const waitLine = (what: string, re: RegExp, since = 0, ms = 20_000) =>
  until(what, async () => seen(re, since), ms, 20).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; phone said:\n${log()}`);
  });

test(
  'the phone enrolls from its lab client and its two apps’ usage shows in groupBy=app',
  { skip },
  async () => {
    const api = lab!.api;
    await execIn(phone.ns, 'ping', ['-c', '1', '-W', '1', LAB.lan.gateway4]);
    const device = await until(
      'client 2 known with its address',
      async () =>
        (await api.get<Array<{ id: number; mac: string; ips: string[] }>>('/devices')).find(
          (d) => d.mac === phone.mac && d.ips.includes(phone.ipv4),
        ),
      20_000,
    );
    deviceId = device.id;
    await script([
      [YOUTUBE, 5_000_000, 200_000, 1_000_000, 20_000, 'YouTube'],
      [TELEGRAM, 300_000, 100_000, 0, 0, 'Telegram'],
    ]);
    const enrollment = await api.send<EnrollmentCreated>('POST', '/agents/enrollments', { deviceId });
    sim = startPhone(['--gateway', GATEWAY_URL, '--enroll', enrollment.code]);
    await waitLine('the phone enrolled', new RegExp(`^enrolled agentId=\\d+ deviceId=${deviceId}\\b`));
    await waitLine('the first report acknowledged', /^ack seq=\d+/);

    let last: UsageBreakdown | undefined;
    await until(
      'both apps with the reported Wi-Fi bytes, mobile data apart',
      async () => {
        last = await api.get<UsageBreakdown>(`/devices/${deviceId}/usage?groupBy=app`);
        const g = (id: string) => last!.groups.find((x) => x.id === id);
        return (
          g(YOUTUBE)?.rxBytes === 5_000_000 &&
          g(YOUTUBE)?.txBytes === 200_000 &&
          g(TELEGRAM)?.rxBytes === 300_000 &&
          g(TELEGRAM)?.txBytes === 100_000 &&
          last!.mobile?.rxBytes === 1_000_000
        );
      },
      15_000,
      200,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; got ${JSON.stringify(last)}; phone said:\n${log()}`);
    });
    assert.deepEqual(
      last!.groups.filter((g) => g.id !== 'unattributed').map((g) => g.name),
      ['YouTube', 'Telegram'],
    );

    // the counters grow; the next reports replace the period's totals instead of adding to them
    await script([
      [YOUTUBE, 6_000_000, 250_000, 1_000_000, 20_000, 'YouTube'],
      [TELEGRAM, 300_000, 100_000, 0, 0, 'Telegram'],
    ]);
    const grown = Date.now();
    await waitLine('the grown totals reported and acknowledged', /^ack seq=\d+/, grown);
    let yt: UsageBreakdown['groups'][number] | undefined;
    await until(
      'YouTube at its new totals, not the sum of both reports',
      async () => {
        const now = await api.get<UsageBreakdown>(`/devices/${deviceId}/usage?groupBy=app`);
        yt = now.groups.find((g) => g.id === YOUTUBE);
        return yt?.rxBytes === 6_000_000 && yt.txBytes === 250_000;
      },
      5_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; got ${JSON.stringify(yt)}`);
    });
  },
);

test(
  'blocking an app through the API reaches the phone within 2 s; deleting the rule lifts it',
  { skip },
  async (t) => {
    assert.ok(deviceId, 'the first test enrolled the phone');
    const api = lab!.api;
    // measured from when the rule is asked for: the call returns once the policy went out
    const asked = Date.now();
    const rule = await api.send<Rule>('POST', '/rules', {
      action: 'block',
      target: { type: 'app', name: YOUTUBE },
      scope: { type: 'device', id: deviceId },
    });
    const got = await waitLine(
      'the policy on the phone',
      new RegExp(`^policy blocked=\\[${YOUTUBE.replace(/\./g, '\\.')}\\] changed=true`),
      asked,
      5_000,
    );
    t.diagnostic(`the app block reached the phone ${got.at - asked} ms after the rule was asked for`);
    assert.ok(got.at - asked <= 2_000, `policy arrived ${got.at - asked} ms after the rule was asked for`);
    await waitLine(
      'the VPN up for the blocked app only',
      new RegExp(`^vpn state=up allowedApps=\\[${YOUTUBE.replace(/\./g, '\\.')}\\]`),
      asked,
      5_000,
    );

    const deleted = Date.now();
    await api.send('DELETE', `/rules/${rule.id}`);
    await waitLine('the block lifted', /^policy blocked=\[\] changed=true/, deleted, 5_000);
    await waitLine('the VPN down', /^vpn state=down/, deleted, 5_000);
  },
);

test('a revoked phone is disconnected and refused, also after a restart', { skip }, async () => {
  const api = lab!.api;
  const me = (await api.get<Agent[]>('/agents')).find((a) => a.deviceId === deviceId && a.connected);
  assert.ok(me, 'the phone is connected');
  const exited = new Promise<number | null>((resolve) => sim!.once('exit', (code) => resolve(code)));
  const revoked = Date.now();
  await api.send('DELETE', `/agents/${me.id}`);
  await waitLine('the phone told it was revoked', /^refused code=4401/, revoked, 5_000);
  assert.equal(await exited, 3);
  sim = startPhone([]);
  const restarted = new Promise<number | null>((resolve) => sim!.once('exit', (c) => resolve(c)));
  await waitLine('the stored credential refused', /^refused status=401/, revoked, 20_000);
  assert.equal(await restarted, 3);
  sim = undefined;
});
