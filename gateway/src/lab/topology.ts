import { fileURLToPath } from 'node:url';

/**
 * The lab's address plan, in one place. Every address here is private, documentation or
 * benchmarking space (RFC 1918, RFC 4193, RFC 3849, RFC 2544): the lab never reaches outside.
 */
export const LAB = {
  /** Everything the lab creates is named with this prefix; `down` removes all of it. */
  prefix: 'pp-',
  ns: { wan: 'pp-wan', gw: 'pp-gw', lan: 'pp-lan', sim: 'pp-sim' },
  lan: {
    v4Prefix: '192.168.77.0/24',
    v4Len: 24,
    gateway4: '192.168.77.1',
    v6Prefix: 'fd77:77::/64',
    v6Len: 64,
    gateway6: 'fd77:77::1',
    bridge: 'br0',
  },
  wan: {
    v4Prefix: '198.18.0.0/24',
    v4Len: 24,
    server4: '198.18.0.1',
    gw4: '198.18.0.2',
    v6Prefix: '2001:db8:77::/64',
    v6Len: 64,
    server6: '2001:db8:77::1',
    gw6: '2001:db8:77::2',
    ifName: 'eth0',
    mac: '02:50:50:00:02:01',
  },
  gw: { lanIf: 'lan0', wanIf: 'wan0', lanMac: '02:50:50:00:01:01', wanMac: '02:50:50:00:02:02' },
  host: {
    ifName: 'pp-host',
    bridgePort: 'host',
    mac: '02:50:50:00:00:fa',
    ipv4: '192.168.77.250',
    ipv6: 'fd77:77::250',
  },
  ports: { http: 80, iperf3: [5201, 5202], gatewayUi: 8080 },
  runDir: '/run/packetpilot-lab',
  defaultClients: 3,
  /** Clients take .11–.99; .100–.249 belong to simulated devices, .250 to the host. */
  maxClients: 89,
  simFirstHost: 100,
  maxSimDevices: 150,
} as const;

export interface LabClient {
  index: number;
  ns: string;
  ifName: string;
  /** The client's port on the LAN bridge (inside pp-lan). */
  bridgePort: string;
  mac: string;
  ipv4: string;
  ipv6: string;
}

export function clientNs(i: number): string {
  return `pp-c${i}`;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

export function labClient(i: number): LabClient {
  if (!Number.isInteger(i) || i < 1 || i > LAB.maxClients) {
    throw new RangeError(`lab client index ${i} outside 1..${LAB.maxClients}`);
  }
  // The v6 host part reuses the v4 digits (".11" → "::11") so the two are easy to pair by eye.
  return {
    index: i,
    ns: clientNs(i),
    ifName: 'eth0',
    bridgePort: `c${i}`,
    mac: `02:50:50:00:00:${hex2(i)}`,
    ipv4: `192.168.77.${10 + i}`,
    ipv6: `fd77:77::${10 + i}`,
  };
}

/** The client MAC/IP table for `n` clients. */
export function labClients(n: number = LAB.defaultClients): LabClient[] {
  return Array.from({ length: n }, (_, k) => labClient(k + 1));
}

/** One end of a veth pair; `ns: null` is the host's own (root) namespace. */
export interface VethEnd {
  ns: string | null;
  name: string;
  mac?: string;
  /** Enslave this end to the LAN bridge. */
  bridged?: boolean;
}

export interface LabAddress {
  ns: string | null;
  dev: string;
  cidr: string;
}

export interface LabRoute {
  ns: string;
  dst: string;
  via: string;
  dev: string;
}

export interface LabServer {
  name: string;
  ns: string;
  kind: 'http' | 'iperf3';
  port: number;
  cmd: string;
  args: string[];
}

export interface LabTopology {
  /** In creation order. */
  namespaces: string[];
  bridge: { ns: string; name: string };
  links: Array<{ a: VethEnd; b: VethEnd }>;
  addresses: LabAddress[];
  routes: LabRoute[];
  /** sysctls per namespace beyond the defaults every lab namespace gets. */
  forwarding: { ns: string; sysctls: string[] };
  clients: LabClient[];
  servers: LabServer[];
}

/** The compiled HTTP server sits beside this file in dist/. */
export function httpServerScript(): string {
  return fileURLToPath(new URL('./http-server.js', import.meta.url));
}

export function labTopology(clients: number = LAB.defaultClients): LabTopology {
  const { ns, lan, wan, gw, host } = LAB;
  const cs = labClients(clients);
  const cidr = (a: string, len: number) => `${a}/${len}`;
  return {
    namespaces: [ns.wan, ns.gw, ns.lan, ...cs.map((c) => c.ns)],
    bridge: { ns: ns.lan, name: lan.bridge },
    links: [
      { a: { ns: ns.gw, name: gw.wanIf, mac: gw.wanMac }, b: { ns: ns.wan, name: wan.ifName, mac: wan.mac } },
      { a: { ns: ns.gw, name: gw.lanIf, mac: gw.lanMac }, b: { ns: ns.lan, name: 'gw', bridged: true } },
      ...cs.map((c) => ({
        a: { ns: c.ns, name: c.ifName, mac: c.mac },
        b: { ns: ns.lan, name: c.bridgePort, bridged: true },
      })),
      {
        a: { ns: null, name: host.ifName, mac: host.mac },
        b: { ns: ns.lan, name: host.bridgePort, bridged: true },
      },
    ],
    addresses: [
      { ns: ns.wan, dev: wan.ifName, cidr: cidr(wan.server4, wan.v4Len) },
      { ns: ns.wan, dev: wan.ifName, cidr: cidr(wan.server6, wan.v6Len) },
      { ns: ns.gw, dev: gw.wanIf, cidr: cidr(wan.gw4, wan.v4Len) },
      { ns: ns.gw, dev: gw.wanIf, cidr: cidr(wan.gw6, wan.v6Len) },
      { ns: ns.gw, dev: gw.lanIf, cidr: cidr(lan.gateway4, lan.v4Len) },
      { ns: ns.gw, dev: gw.lanIf, cidr: cidr(lan.gateway6, lan.v6Len) },
      ...cs.flatMap((c) => [
        { ns: c.ns, dev: c.ifName, cidr: cidr(c.ipv4, lan.v4Len) },
        { ns: c.ns, dev: c.ifName, cidr: cidr(c.ipv6, lan.v6Len) },
      ]),
      { ns: null, dev: host.ifName, cidr: cidr(host.ipv4, lan.v4Len) },
      { ns: null, dev: host.ifName, cidr: cidr(host.ipv6, lan.v6Len) },
    ],
    routes: [
      // The gateway's upstream, as an ISP would hand it out.
      { ns: ns.gw, dst: 'default', via: wan.server4, dev: gw.wanIf },
      { ns: ns.gw, dst: 'default', via: wan.server6, dev: gw.wanIf },
      // Lets the lab work as a plain router before the daemon installs its masquerade.
      { ns: ns.wan, dst: lan.v4Prefix, via: wan.gw4, dev: wan.ifName },
      { ns: ns.wan, dst: lan.v6Prefix, via: wan.gw6, dev: wan.ifName },
      ...cs.flatMap((c) => [
        { ns: c.ns, dst: 'default', via: lan.gateway4, dev: c.ifName },
        { ns: c.ns, dst: 'default', via: lan.gateway6, dev: c.ifName },
      ]),
    ],
    forwarding: { ns: ns.gw, sysctls: ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'] },
    clients: cs,
    servers: [
      {
        name: 'http',
        ns: ns.wan,
        kind: 'http',
        port: LAB.ports.http,
        cmd: process.execPath,
        args: [httpServerScript(), String(LAB.ports.http)],
      },
      ...LAB.ports.iperf3.map((port) => ({
        name: `iperf3-${port}`,
        ns: ns.wan,
        kind: 'iperf3' as const,
        port,
        cmd: 'iperf3',
        args: ['-s', '-p', String(port)],
      })),
    ],
  };
}

export const isV6 = (addr: string): boolean => addr.includes(':');
