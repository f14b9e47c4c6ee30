/**
 * What the agent says about its machine: `hello` (version, OS, hostname, interfaces with MACs) and
 * the enrollment fields, from os.networkInterfaces() and friends (injected for tests).
 */
import * as os from 'node:os';
import type { AgentHello, AgentPlatform } from '@packetpilot/protocol';
import { normalizeAddress } from '../collect/address.js';
import { AGENT_VERSION } from '../version.js';

export interface MachineInfo {
  platform: string;
  hostname: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm); Linux 6.1.0-18-amd64" */
  osDescription: string;
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

export function currentMachine(): MachineInfo {
  let version = '';
  try {
    version = os.version();
  } catch {
    /* old kernels without uname version */
  }
  return {
    platform: process.platform,
    hostname: os.hostname(),
    osDescription: `${version} (${os.type()} ${os.release()})`.trim(),
    interfaces: os.networkInterfaces(),
  };
}

/** process.platform → the protocol's platform, or null where the agent is not supported. */
export function agentPlatform(platform: string): AgentPlatform | null {
  switch (platform) {
    case 'linux':
      return 'linux';
    case 'win32':
      return 'windows';
    case 'darwin':
      return 'macos';
    default:
      return null;
  }
}

const ZERO_MAC = '00:00:00:00:00:00';

/** Interfaces with a real MAC, their addresses normalised; loopback left out. */
export function helloInterfaces(interfaces: MachineInfo['interfaces']): AgentHello['interfaces'] {
  const out: AgentHello['interfaces'] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    if (!infos || infos.length === 0 || infos.some((i) => i.internal)) continue;
    const mac = infos[0]?.mac.toLowerCase();
    if (!mac || mac === ZERO_MAC || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    const addresses = [...new Set(infos.flatMap((i) => normalizeAddress(i.address) ?? []))].slice(0, 64);
    out.push({ name: name.slice(0, 64), mac, addresses });
    if (out.length === 64) break;
  }
  return out;
}

export function buildHello(
  machine: MachineInfo,
  extra: Pick<AgentHello, 'blocking' | 'droppedReports'> = {},
): AgentHello {
  return {
    type: 'hello',
    version: AGENT_VERSION,
    os: machine.osDescription.slice(0, 128) || machine.platform,
    hostname: machine.hostname.slice(0, 253),
    interfaces: helloInterfaces(machine.interfaces),
    ...extra,
  };
}
