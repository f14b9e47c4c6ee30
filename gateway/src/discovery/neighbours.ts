/** One row of the kernel's neighbour table (`ip -j neigh show dev LAN`). */
export interface Neighbour {
  address: string;
  mac: string;
  state: string[];
  router: boolean;
}

export interface ParseResult<T> {
  rows: T[];
  /** Rows that could not be read, with why; reported, never fatal. */
  errors: string[];
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function normaliseMac(raw: string): string | null {
  const mac = raw.trim().toLowerCase().replace(/-/g, ':');
  return MAC_RE.test(mac) ? mac : null;
}

/**
 * Entries without a link-layer address (FAILED, INCOMPLETE) tell nothing about a device and
 * are skipped; so are the all-zero and broadcast/multicast MACs that some drivers report.
 */
export function parseNeighbours(json: string): ParseResult<Neighbour> {
  let data: unknown;
  try {
    data = JSON.parse(json.trim() === '' ? '[]' : json);
  } catch (err) {
    throw new Error(`parse ip -j neigh: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data)) throw new Error('parse ip -j neigh: expected a JSON array');
  const rows: Neighbour[] = [];
  const errors: string[] = [];
  for (const entry of data as Array<Record<string, unknown>>) {
    if (typeof entry !== 'object' || entry === null) {
      errors.push(`not an object: ${JSON.stringify(entry)}`);
      continue;
    }
    const state = Array.isArray(entry.state) ? entry.state.map(String) : [];
    if (entry.lladdr === undefined) continue;
    const address = typeof entry.dst === 'string' ? entry.dst : null;
    const mac = typeof entry.lladdr === 'string' ? normaliseMac(entry.lladdr) : null;
    if (!address || !mac) {
      errors.push(`bad neighbour entry: ${JSON.stringify(entry)}`);
      continue;
    }
    const firstOctet = parseInt(mac.slice(0, 2), 16);
    if (mac === '00:00:00:00:00:00' || (firstOctet & 1) === 1) continue;
    if (state.includes('FAILED') || state.includes('INCOMPLETE')) continue;
    rows.push({ address, mac, state, router: entry.router !== undefined });
  }
  return { rows, errors };
}
