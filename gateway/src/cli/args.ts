import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { parseUpstream } from '../dns/upstream.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface GatewayArgs {
  lan: string;
  wan: string;
  listen: { host: string | null; port: number };
  dataDir: string;
  databaseUrl: string | null;
  leasesPath: string | null;
  /** Upstream resolvers from --upstream (repeatable); empty = the host's /etc/resolv.conf. */
  upstreams: string[];
  /** Port of the LAN DNS server; 0 turns it off. */
  dnsPort: number;
  /** Serve the API on every local address, not only the LAN's (--allow-wan-admin). */
  allowWanAdmin: boolean;
  /** Serve HTTPS with a self-signed certificate made on first start (--tls). */
  tls: boolean;
}

const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function parseListen(value: string | undefined): { host: string | null; port: number } {
  if (!value) return { host: null, port: 8080 };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  if (!m || port < 1 || port > 65535 || (host !== '' && host !== 'localhost' && isIP(host) === 0)) {
    throw new UsageError(
      `--listen: expected ADDR:PORT (e.g. 192.168.1.1:8080 or [::]:8080), got ${JSON.stringify(value)}`,
    );
  }
  return { host: host === '' ? null : host, port };
}

export function parseDatabaseUrl(value: string | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--database-url: not a URL: ${JSON.stringify(value)} (expected postgres://user@host:5432/db)`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UsageError(`--database-url: expected a postgres:// URL, got ${url.protocol}//…`);
  }
  return value;
}

export function parseGatewayArgs(argv: string[], env: NodeJS.ProcessEnv): GatewayArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      lan: { type: 'string' },
      wan: { type: 'string' },
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'dhcp-leases': { type: 'string' },
      upstream: { type: 'string', multiple: true },
      'dns-port': { type: 'string' },
      'allow-wan-admin': { type: 'boolean' },
      tls: { type: 'boolean' },
    },
    strict: true,
  });
  for (const flag of ['lan', 'wan'] as const) {
    const v = values[flag];
    if (!v) throw new UsageError(`--${flag} IF is required`);
    if (!IFNAME_RE.test(v)) throw new UsageError(`--${flag}: not an interface name: ${JSON.stringify(v)}`);
  }
  if (values.lan === values.wan) throw new UsageError('--lan and --wan must be different interfaces');
  const upstreams = values.upstream ?? [];
  for (const u of upstreams) {
    try {
      parseUpstream(u);
    } catch (err) {
      throw new UsageError(`--upstream: ${(err as Error).message}`);
    }
  }
  const dnsPort = values['dns-port'] === undefined ? 53 : Number(values['dns-port']);
  if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535) {
    throw new UsageError(
      `--dns-port: expected 0–65535 (0 = no DNS server), got ${JSON.stringify(values['dns-port'])}`,
    );
  }
  return {
    lan: values.lan!,
    wan: values.wan!,
    listen: parseListen(values.listen),
    dataDir: values['data-dir'] ?? env.PP_DATA_DIR ?? '/var/lib/packetpilot',
    databaseUrl: parseDatabaseUrl(values['database-url'] ?? env.DATABASE_URL),
    leasesPath: values['dhcp-leases'] ?? null,
    upstreams,
    dnsPort,
    allowWanAdmin: values['allow-wan-admin'] ?? false,
    tls: values.tls ?? false,
  };
}
