import { normaliseMac, type ParseResult } from './neighbours.js';

/** One line of a dnsmasq lease file: `<expiry epoch> <mac> <ip> <hostname|*> <client-id|*>`. */
export interface Lease {
  expiresAt: Date | null;
  mac: string;
  address: string;
  hostname: string | null;
}

export function parseDnsmasqLeases(text: string): ParseResult<Lease> {
  const rows: Lease[] = [];
  const errors: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('duid ')) continue;
    const [expiry, macRaw, address, hostname] = line.split(/\s+/);
    const mac = macRaw ? normaliseMac(macRaw) : null;
    const epoch = Number(expiry);
    if (!mac || !address || !Number.isFinite(epoch)) {
      errors.push(`lease line ${i + 1}: cannot read ${JSON.stringify(line)}`);
      continue;
    }
    rows.push({
      // dnsmasq writes 0 for infinite leases
      expiresAt: epoch === 0 ? null : new Date(epoch * 1000),
      mac,
      address,
      hostname: hostname && hostname !== '*' ? hostname : null,
    });
  }
  return { rows, errors };
}
