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
  ports: { http: 80, iperf3: [5201, 5202], gatewayUi: 8080, dns: 53, dot: 853 },
  dns: {
    /** Local answers (LAB_NAMES) carry this TTL. */
    ttl: 300,
    /** Lab clients resolve through the gateway; `ip netns exec` bind-mounts this file. */
    clientNameserver: '192.168.77.1',
    /** Extra pp-wan addresses answer locally without being on the interface (AnyIP). */
    anyIp4: '198.18.0.128/26',
  },
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
  kind: 'http' | 'iperf3' | 'dns';
  port: number;
  cmd: string;
  args: string[];
}

/** A whole address range a namespace treats as its own (`ip route replace local CIDR dev lo`). */
export interface LabLocalRange {
  ns: string;
  cidr: string;
}

/** A file the lab writes on `up` and removes on `down` (client resolv.conf, DNS host table). */
export interface LabFile {
  path: string;
  content: string;
}

export interface LabTopology {
  /** In creation order. */
  namespaces: string[];
  bridge: { ns: string; name: string };
  links: Array<{ a: VethEnd; b: VethEnd }>;
  addresses: LabAddress[];
  routes: LabRoute[];
  localRanges: LabLocalRange[];
  files: LabFile[];
  /** sysctls per namespace beyond the defaults every lab namespace gets. */
  forwarding: { ns: string; sysctls: string[] };
  clients: LabClient[];
  servers: LabServer[];
}

/**
 * What the lab's upstream DNS (dnsmasq in pp-wan) answers. Names the catalogue maps to a service
 * (gateway/catalog, from nextdns/services and nextdns/dns-bypass-methods) each get their own pp-wan
 * address, so a flow's service can be told from its address alone; the HTTP server, iperf3 and
 * the DoT listener's host answer on all of them.
 */
export interface LabName {
  name: string;
  ipv4: readonly string[];
  ipv6: readonly string[];
  /** A CNAME to another entry (then no addresses of its own). */
  cname?: string;
  /** Catalogue id: a service (`youtube`) or a bypass method list (`bypass:encrypted-dns`). */
  catalog?: string;
}

const manyAddresses = Array.from({ length: 40 }, (_, i) => `198.18.0.${128 + i}`);

export const LAB_NAMES: readonly LabName[] = [
  { name: 'www.youtube.com', catalog: 'youtube', ipv4: ['198.18.0.10'], ipv6: ['2001:db8:77::10'] },
  { name: 'www.tiktok.com', catalog: 'tiktok', ipv4: ['198.18.0.11'], ipv6: ['2001:db8:77::11'] },
  { name: 'www.netflix.com', catalog: 'netflix', ipv4: ['198.18.0.12'], ipv6: ['2001:db8:77::12'] },
  { name: 'store.steampowered.com', catalog: 'steam', ipv4: ['198.18.0.13'], ipv6: ['2001:db8:77::13'] },
  /** A DoH endpoint: what bypass prevention blocks by address. */
  { name: 'dns.google', catalog: 'bypass:encrypted-dns', ipv4: ['198.18.0.14'], ipv6: ['2001:db8:77::14'] },
  /** Neutral: the lab server's own address. */
  { name: 'files.lab.test', ipv4: ['198.18.0.1'], ipv6: ['2001:db8:77::1'] },
  { name: 'cdn.lab.test', cname: 'files.lab.test', ipv4: [], ipv6: [] },
  /** 40 A records: more than fit a 512-byte UDP answer (truncation, TCP fallback). */
  { name: 'many.lab.test', ipv4: manyAddresses, ipv6: [] },
];

/** dnsmasq's host table for LAB_NAMES (CNAMEs are command-line options). */
export function labHostsFile(names: readonly LabName[] = LAB_NAMES): string {
  return names.flatMap((n) => [...n.ipv4, ...n.ipv6].map((a) => `${a} ${n.name}\n`)).join('');
}

/** The extra pp-wan interface addresses: every LAB_NAMES address not on an AnyIP range or the server's own. */
function nameAddresses(): { v4: string[]; v6: string[] } {
  const { server4, server6 } = LAB.wan;
  const many = new Set(manyAddresses);
  const all = LAB_NAMES.filter((n) => !n.cname);
  return {
    v4: [...new Set(all.flatMap((n) => n.ipv4))].filter((a) => a !== server4 && !many.has(a)),
    v6: [...new Set(all.flatMap((n) => n.ipv6))].filter((a) => a !== server6),
  };
}

export const labDnsHostsPath = (): string => `${LAB.runDir}/dns-hosts`;
export const clientResolvConfPath = (ns: string): string => `/etc/netns/${ns}/resolv.conf`;

/** The compiled HTTP server sits beside this file in dist/. */
export function httpServerScript(): string {
  return fileURLToPath(new URL('./http-server.js', import.meta.url));
}

export function labTopology(clients: number = LAB.defaultClients): LabTopology {
  const { ns, lan, wan, gw, host } = LAB;
  const cs = labClients(clients);
  const cidr = (a: string, len: number) => `${a}/${len}`;
  const extra = nameAddresses();
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
      ...extra.v4.map((a) => ({ ns: ns.wan, dev: wan.ifName, cidr: cidr(a, wan.v4Len) })),
      ...extra.v6.map((a) => ({ ns: ns.wan, dev: wan.ifName, cidr: cidr(a, wan.v6Len) })),
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
    localRanges: [{ ns: ns.wan, cidr: LAB.dns.anyIp4 }],
    files: [
      { path: labDnsHostsPath(), content: labHostsFile() },
      ...cs.map((c) => ({
        path: clientResolvConfPath(c.ns),
        content: `nameserver ${LAB.dns.clientNameserver}\noptions timeout:2 attempts:2\n`,
      })),
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
        // The DoT stand-in lives in the same process: a TCP banner on the DNS server's addresses.
        args: [
          httpServerScript(),
          String(LAB.ports.http),
          '--dot',
          `${wan.server4}:${LAB.ports.dot}`,
          '--dot',
          `[${wan.server6}]:${LAB.ports.dot}`,
        ],
      },
      {
        name: 'dns',
        ns: ns.wan,
        kind: 'dns' as const,
        port: LAB.ports.dns,
        cmd: 'dnsmasq',
        args: dnsmasqArgs(),
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

/** The lab's upstream DNS: answers LAB_NAMES only (NXDOMAIN for anything else), never forwards. */
export function dnsmasqArgs(): string[] {
  const { wan, dns } = LAB;
  return [
    '--no-daemon', // foreground, no pid file, no fork per TCP query; the lab tracks the pid
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${labDnsHostsPath()}`,
    `--local-ttl=${dns.ttl}`,
    ...LAB_NAMES.filter((n) => n.cname).map((n) => `--cname=${n.name},${n.cname},${dns.ttl}`),
    '--address=/#/', // everything not in the host table: NXDOMAIN, not "refused"
    '--bind-dynamic',
    `--listen-address=${wan.server4}`,
    `--listen-address=${wan.server6}`,
    '--log-facility=-',
  ];
}
