/**
 * The Android agent's APK as `npm run build:android` leaves it (agent-android/dist): signed, with
 * the manifest the app needs (package, minSdk, the VPN service guarded by BIND_VPN_SERVICE, the
 * usage-stats permission, the boot receiver, the enrollment deep link) and the app's classes in
 * its dex. Under CI=true a missing APK fails; elsewhere the test is skipped until it is built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { systemRunner as runner } from '../os/runner.js';

const APK = fileURLToPath(new URL('../../../agent-android/dist/packetpilot-agent.apk', import.meta.url));
const PACKAGE = 'com.packetpilot.agent';

function apkOrSkip(): string | false {
  if (existsSync(APK)) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${APK} is missing (npm run build:android)`);
  return `no APK yet: npm run build:android`;
}
const skip = apkOrSkip();

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await runner.run(cmd, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

test('the APK is signed and apksigner verifies it', { skip }, async () => {
  const out = await run('apksigner', ['verify', '--min-sdk-version', '29', '--verbose', APK]);
  assert.match(out, /^Verifies$/m);
  // minSdk 29: apksigner signs with scheme v3 alone (every Android from 9 on verifies it)
  assert.match(out, /Verified using v3 scheme \(APK Signature Scheme v3\): true/);
  assert.match(out, /Number of signers: 1/);
  const size = statSync(APK).size;
  assert.ok(size < 2_000_000, `the APK stays small (${size} bytes)`);
});

test('aapt shows the package, minSdk 29, target 34 and the permissions', { skip }, async () => {
  const badging = await run('aapt', ['dump', 'badging', APK]);
  assert.match(badging, new RegExp(`^package: name='${PACKAGE.replaceAll('.', '\\.')}'`, 'm'));
  assert.match(badging, /^sdkVersion:'29'$/m);
  assert.match(badging, /^targetSdkVersion:'34'$/m);
  for (const permission of [
    'android.permission.PACKAGE_USAGE_STATS',
    'android.permission.INTERNET',
    'android.permission.FOREGROUND_SERVICE',
    'android.permission.FOREGROUND_SERVICE_SPECIAL_USE',
    'android.permission.RECEIVE_BOOT_COMPLETED',
    'android.permission.QUERY_ALL_PACKAGES',
  ]) {
    assert.match(badging, new RegExp(`^uses-permission: name='${permission.replaceAll('.', '\\.')}'`, 'm'));
  }
  assert.match(badging, /^launchable-activity: name='com\.packetpilot\.agent\.android\.MainActivity'/m);
});

test(
  'the manifest: VPN service with BIND_VPN_SERVICE, boot receiver, deep link, foreground service',
  { skip },
  async () => {
    const xml = await run('aapt', ['dump', 'xmltree', APK, 'AndroidManifest.xml']);
    // one element per block: from its "E: service" line to the next element at the same depth
    const elements = xml.split(/\n(?=\s*E: )/);
    const service = (name: string) => {
      const start = elements.findIndex((e) => /E: service/.test(e) && e.includes(`"${name}"`));
      assert.ok(start >= 0, `service ${name}`);
      return elements.slice(start, start + 6).join('\n');
    };
    const vpn = service('.android.BlockVpnService');
    assert.match(vpn, /android:permission\(0x[0-9a-f]+\)="android\.permission\.BIND_VPN_SERVICE"/);
    assert.match(vpn, /"android\.net\.VpnService"/);
    const agent = service('.android.AgentService');
    assert.match(agent, /android:foregroundServiceType\(0x[0-9a-f]+\)=\(type 0x11\)0x40000000/); // specialUse
    assert.match(xml, /"\.android\.BootReceiver"[\s\S]*?"android\.intent\.action\.BOOT_COMPLETED"/);
    assert.match(xml, /android:scheme\(0x[0-9a-f]+\)="packetpilot"/);
    assert.match(xml, /android:host\(0x[0-9a-f]+\)="enroll"/);
    assert.match(xml, /android:allowBackup\(0x[0-9a-f]+\)=\(type 0x12\)0x0/);
  },
);

test('dexdump shows the app’s classes and no invoke-custom (dx left no lambdas)', { skip }, async () => {
  const dump = await run('dexdump', [APK]);
  const classes = [...dump.matchAll(/Class descriptor\s+: 'L([^;]+);'/g)].map((m) =>
    m[1]!.replaceAll('/', '.'),
  );
  for (const name of [
    'com.packetpilot.agent.android.MainActivity',
    'com.packetpilot.agent.android.AgentService',
    'com.packetpilot.agent.android.BlockVpnService',
    'com.packetpilot.agent.android.BootReceiver',
    'com.packetpilot.agent.android.AndroidStatsSource',
    'com.packetpilot.agent.core.AgentCore',
    'com.packetpilot.agent.core.UsageLedger',
    'com.packetpilot.agent.packet.PacketSink',
    'org.java_websocket.client.WebSocketClient',
  ]) {
    assert.ok(classes.includes(name), `${name} in classes.dex`);
  }
  assert.ok(
    !classes.some((c) => c.startsWith('com.packetpilot.agent.sim.')),
    'the JVM-only simulator stays out',
  );
  assert.doesNotMatch(dump, /invoke-(custom|polymorphic)/);
});
