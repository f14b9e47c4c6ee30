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
  /** Concatenations as nft writes them in text: `ether_addr . ipv4_addr`. */
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

/** One element with everything needed to put it back (`val` is nft's own JSON for the key). */
export interface ListedElement extends SetElementCount {
  val: unknown;
  /** Seconds; present only for elements added with a timeout (or a set default). */
  timeout?: number;
  /** Seconds left, as nft rounds it (down). */
  expires?: number;
}

export interface NftListing {
  family: string;
  name: string;
  sets: Record<string, ListedSet>;
  setElements: Record<string, SetElementCount[]>;
  elements: Record<string, ListedElement[]>;
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

function parseElement(e: unknown, setName: string): ListedElement {
  // Sets without counters/timeouts list bare values; otherwise {"elem": {"val", "counter", …}}.
  if (isObj(e) && isObj(e.elem)) {
    const { val, counter: c, timeout, expires } = e.elem;
    const counts = isObj(c)
      ? {
          packets: num(c.packets, `${setName} element packets`),
          bytes: num(c.bytes, `${setName} element bytes`),
        }
      : { packets: 0, bytes: 0 };
    return {
      key: keyOf(val),
      ...counts,
      val,
      ...(timeout !== undefined ? { timeout: num(timeout, `${setName} element timeout`) } : {}),
      ...(expires !== undefined ? { expires: num(expires, `${setName} element expires`) } : {}),
    };
  }
  return { key: keyOf(e), packets: 0, bytes: 0, val: e };
}

function keyType(t: unknown, setName: string): string {
  if (typeof t === 'string') return t;
  if (Array.isArray(t) && t.length > 0 && t.every((p) => typeof p === 'string')) return t.join(' . ');
  throw new Error(`nft listing: set ${setName} has an unreadable type ${JSON.stringify(t)}`);
}

function parseSet(s: Json): { set: ListedSet; elements: ListedElement[] } {
  const name = String(s.name);
  const stmts = Array.isArray(s.stmt) ? (s.stmt as unknown[]) : [];
  const set: ListedSet = {
    name,
    type: keyType(s.type, name),
    flags: Array.isArray(s.flags) ? s.flags.map(String) : typeof s.flags === 'string' ? [s.flags] : [],
    counter: stmts.some((st) => isObj(st) && 'counter' in st),
    ...(s.size !== undefined ? { size: num(s.size, `set ${name} size`) } : {}),
    ...(s.timeout !== undefined ? { timeout: num(s.timeout, `set ${name} timeout`) } : {}),
  };
  const elems = Array.isArray(s.elem) ? (s.elem as unknown[]) : [];
  return { set, elements: elems.map((e) => parseElement(e, name)) };
}

const counts = ({ key, packets, bytes }: ListedElement): SetElementCount => ({ key, packets, bytes });

function parseDoc(json: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new Error(`nft listing: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new Error('nft listing: missing "nftables" array');
  return doc.nftables as unknown[];
}

/** `nft -j list set FAMILY TABLE NAME`: the one set it holds, or null when it holds none. */
export function parseNftSet(json: string): { set: ListedSet; elements: ListedElement[] } | null {
  for (const item of parseDoc(json)) {
    if (!isObj(item)) throw new Error('nft listing: non-object entry');
    if (isObj(item.set)) return parseSet(item.set);
  }
  return null;
}

export function parseNftListing(json: string): NftListing | null {
  let out: NftListing | null = null;
  const need = (): NftListing => {
    if (!out) throw new Error('nft listing: object listed before its table');
    return out;
  };
  for (const item of parseDoc(json)) {
    if (!isObj(item)) throw new Error('nft listing: non-object entry');
    if (isObj(item.table)) {
      if (out) throw new Error('nft listing: more than one table');
      out = {
        family: String(item.table.family),
        name: String(item.table.name),
        sets: {},
        setElements: {},
        elements: {},
        counters: {},
        chains: {},
      };
    } else if (isObj(item.set)) {
      const l = need();
      const { set, elements } = parseSet(item.set);
      l.sets[set.name] = set;
      l.elements[set.name] = elements;
      l.setElements[set.name] = elements.map(counts);
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
