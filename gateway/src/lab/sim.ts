import {
  labContext,
  labNamespaces,
  linkNames,
  runStep,
  type LabCommand,
  type LabOptions,
} from './context.js';
import { LAB } from './topology.js';

/**
 * Many cheap LAN devices for the memory benchmark: veth ends inside one namespace, pp-sim, each
 * with its own MAC and addresses. Several interfaces on one subnet in one namespace need source
 * policy routing (one table per device) and strict ARP, or every reply would leave through the
 * first interface and every interface would answer every ARP request.
 */
export interface SimDevice {
  index: number;
  /** Interface inside pp-sim; bind to it (`curl --interface`, `ping -I`) to speak as this device. */
  name: string;
  bridgePort: string;
  mac: string;
  ipv4: string;
  ipv6: string;
  table: number;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

export function simDevice(i: number): SimDevice {
  if (!Number.isInteger(i) || i < 1 || i > LAB.maxSimDevices) {
    throw new RangeError(`simulated device ${i} outside 1..${LAB.maxSimDevices} (the LAN is a /24)`);
  }
  const host = LAB.simFirstHost + i - 1;
  return {
    index: i,
    name: `sim${i}`,
    bridgePort: `s${i}`,
    mac: `02:50:50:01:${hex2(i >> 8)}:${hex2(i & 0xff)}`,
    ipv4: `192.168.77.${host}`,
    ipv6: `fd77:77::${host}`,
    table: 1000 + i,
  };
}

/** Commands that add `devices` to pp-sim; `createNs` when pp-sim does not exist yet. */
export function planSimDevices(devices: SimDevice[], createNs: boolean): LabCommand[] {
  const { sim, lan } = LAB.ns;
  const plan: LabCommand[] = [];
  if (createNs) {
    plan.push({ cmd: 'ip', args: ['netns', 'add', sim] });
    plan.push({
      cmd: 'sysctl',
      args: [
        '-qw',
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
        'net.ipv4.conf.all.arp_ignore=1',
        'net.ipv4.conf.all.arp_announce=2',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
      ],
      netns: sim,
    });
    plan.push({ cmd: 'ip', args: ['-n', sim, 'link', 'set', 'lo', 'up'] });
  }
  if (devices.length === 0) return plan;
  const { gateway4, gateway6, v4Prefix, v4Len, v6Prefix, v6Len } = LAB.lan;
  // One `ip -batch` per family and namespace: hundreds of devices in a handful of processes.
  const v4 = devices.flatMap((d) => [
    `link add ${d.name} address ${d.mac} type veth peer name ${d.bridgePort} netns ${lan}`,
    `link set ${d.name} up`,
    `addr add ${d.ipv4}/${v4Len} dev ${d.name} noprefixroute`,
    `route replace ${v4Prefix} dev ${d.name} src ${d.ipv4} table ${d.table}`,
    `route replace default via ${gateway4} dev ${d.name} table ${d.table}`,
    `rule add from ${d.ipv4} lookup ${d.table} pref ${d.table}`,
    `rule add oif ${d.name} lookup ${d.table} pref ${d.table}`,
  ]);
  const v6 = devices.flatMap((d) => [
    `addr add ${d.ipv6}/${v6Len} dev ${d.name} nodad noprefixroute`,
    `route replace ${v6Prefix} dev ${d.name} table ${d.table}`,
    `route replace default via ${gateway6} dev ${d.name} table ${d.table}`,
    `rule add from ${d.ipv6} lookup ${d.table} pref ${d.table}`,
    `rule add oif ${d.name} lookup ${d.table} pref ${d.table}`,
  ]);
  const ports = devices.map((d) => `link set ${d.bridgePort} master ${LAB.lan.bridge} up`);
  const batch = (ns: string, lines: string[], family: string[] = []): LabCommand => ({
    cmd: 'ip',
    args: ['-n', ns, ...family, '-batch', '-'],
    input: lines.join('\n') + '\n',
  });
  plan.push(batch(sim, v4), batch(sim, v6, ['-6']), batch(lan, ports));
  // Unbound traffic (no source chosen) leaves as the first device.
  const first = devices[0];
  if (first?.index === 1) {
    plan.push({
      cmd: 'ip',
      args: ['-n', sim, 'route', 'replace', 'default', 'via', gateway4, 'dev', first.name, 'onlink'],
    });
    plan.push({
      cmd: 'ip',
      args: ['-n', sim, '-6', 'route', 'replace', 'default', 'via', gateway6, 'dev', first.name, 'onlink'],
    });
  }
  return plan;
}

/** Add `n` more simulated devices on the LAN (the lab must be up); resolves with the new ones. */
export async function addSimulatedDevices(n: number, opts: LabOptions = {}): Promise<SimDevice[]> {
  const ctx = labContext(opts);
  const namespaces = await labNamespaces(ctx.runner);
  if (!namespaces.includes(LAB.ns.lan))
    throw new Error('addSimulatedDevices: pp-lan is missing; run lab up first');
  const hasSim = namespaces.includes(LAB.ns.sim);
  const existing = hasSim
    ? (await linkNames(ctx.runner, LAB.ns.sim)).filter((l) => /^sim\d+$/.test(l)).length
    : 0;
  if (existing + n > LAB.maxSimDevices) {
    throw new RangeError(
      `addSimulatedDevices(${n}): ${existing} exist, at most ${LAB.maxSimDevices} fit the LAN`,
    );
  }
  const devices = Array.from({ length: n }, (_, k) => simDevice(existing + k + 1));
  const plan = planSimDevices(devices, !hasSim);
  for (const [i, step] of plan.entries()) {
    await runStep(ctx.runner, step, 60_000).catch((err: Error) => {
      throw new Error(`addSimulatedDevices: step ${i + 1}/${plan.length} failed: ${err.message}`, {
        cause: err,
      });
    });
  }
  return devices;
}
