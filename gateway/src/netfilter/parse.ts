/**
 * Pure parsers for `nft -j list table …` output. Two views of the same listing:
 * the structure (what `apply` diffs against) and the numbers (what the daemon reads).
 */

export interface Counts {
  packets: number;
  bytes: number;
}

export interface SetElementCount extends Counts {
  key: string;
}

export interface NftSnapshot {
  sets: Record<string, SetElementCount[]>;
  counters: Record<string, Counts>;
}

/** A set's definition as the kernel reports it. */
export interface ListedSet {
  name: string;
  type: string;
  flags: string[];
  counter: boolean;
  size?: number;
  timeout?: number;
}

export interface ListedChain {
  name: string;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
}

export interface NftListing {
  family: string;
  name: string;
  sets: Record<string, ListedSet>;
  setElements: Record<string, SetElementCount[]>;
  counters: Record<string, Counts>;
  chains: Record<string, ListedChain>;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`nft listing: ${what} is not a number`);
  return v;
}

const MAC = /^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i;

/** MACs lowercase with two-digit octets; addresses exactly as nft prints them. */
export function normaliseKey(raw: string): string {
  if (MAC.test(raw)) {
    return raw
      .split(':')
      .map((o) => o.toLowerCase().padStart(2, '0'))
      .join(':');
  }
  return raw;
}

/** Element values may be plain, a prefix, a range or a concatenation. */
function keyOf(val: unknown): string {
  if (typeof val === 'string' || typeof val === 'number') return normaliseKey(String(val));
  if (isObj(val)) {
    if (isObj(val.prefix)) return `${keyOf(val.prefix.addr)}/${String(val.prefix.len)}`;
    if (Array.isArray(val.range)) return val.range.map(keyOf).join('-');
    if (Array.isArray(val.concat)) return val.concat.map(keyOf).join(' . ');
  }
  throw new Error(`nft listing: unsupported set element ${JSON.stringify(val)}`);
}

function parseElement(e: unknown, setName: string): SetElementCount {
  // Sets without counters/timeouts list bare values; otherwise {"elem": {"val", "counter", …}}.
  if (isObj(e) && isObj(e.elem)) {
    const c = e.elem.counter;
    const counts = isObj(c)
      ? {
          packets: num(c.packets, `${setName} element packets`),
          bytes: num(c.bytes, `${setName} element bytes`),
        }
      : { packets: 0, bytes: 0 };
    return { key: keyOf(e.elem.val), ...counts };
  }
  return { key: keyOf(e), packets: 0, bytes: 0 };
}

export function parseNftListing(json: string): NftListing | null {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new Error(`nft listing: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new Error('nft listing: missing "nftables" array');
  let out: NftListing | null = null;
  const need = (): NftListing => {
    if (!out) throw new Error('nft listing: object listed before its table');
    return out;
  };
  for (const item of doc.nftables as unknown[]) {
    if (!isObj(item)) throw new Error('nft listing: non-object entry');
    if (isObj(item.table)) {
      if (out) throw new Error('nft listing: more than one table');
      out = {
        family: String(item.table.family),
        name: String(item.table.name),
        sets: {},
        setElements: {},
        counters: {},
        chains: {},
      };
    } else if (isObj(item.set)) {
      const s = item.set;
      const name = String(s.name);
      const stmts = Array.isArray(s.stmt) ? (s.stmt as unknown[]) : [];
      need().sets[name] = {
        name,
        type: String(s.type),
        flags: Array.isArray(s.flags) ? s.flags.map(String) : typeof s.flags === 'string' ? [s.flags] : [],
        counter: stmts.some((st) => isObj(st) && 'counter' in st),
        ...(s.size !== undefined ? { size: num(s.size, `set ${name} size`) } : {}),
        ...(s.timeout !== undefined ? { timeout: num(s.timeout, `set ${name} timeout`) } : {}),
      };
      const elems = Array.isArray(s.elem) ? (s.elem as unknown[]) : [];
      need().setElements[name] = elems.map((e) => parseElement(e, name));
    } else if (isObj(item.counter)) {
      const c = item.counter;
      const name = String(c.name);
      need().counters[name] = {
        packets: num(c.packets, `counter ${name} packets`),
        bytes: num(c.bytes, `counter ${name} bytes`),
      };
    } else if (isObj(item.chain)) {
      const c = item.chain;
      const name = String(c.name);
      need().chains[name] = {
        name,
        ...(c.type !== undefined ? { type: String(c.type) } : {}),
        ...(c.hook !== undefined ? { hook: String(c.hook) } : {}),
        ...(c.prio !== undefined ? { prio: num(c.prio, `chain ${name} prio`) } : {}),
        ...(c.policy !== undefined ? { policy: String(c.policy) } : {}),
      };
    }
    // metainfo, rules, maps, quotas: not needed by either view.
  }
  return out;
}

/** The numbers view; null when the listing holds no table. */
export function parseNftTable(json: string): NftSnapshot | null {
  const listing = parseNftListing(json);
  return listing ? { sets: listing.setElements, counters: listing.counters } : null;
}
