import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Vendor lookup from the IEEE registries (MA-L, MA-M, MA-S) as shipped by the npm package
 * `oui-data` (BSD-2-Clause, see gateway/catalog/oui/NOTICE): a 5 MB JSON object of hex prefix →
 * postal address. Parsing it into a table costs 30–50 MB of heap that V8 never hands back, on a
 * daemon whose whole budget is 150 MB; and vendors are only looked up when a new device appears.
 * So each lookup searches the file's bytes natively (Buffer.indexOf) and keeps only the answers.
 */
export interface VendorLookup {
  vendorOf(mac: string): string | null;
}

export function isLocallyAdministered(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0b10) !== 0;
}

/** MA-S (36-bit) and MA-M (28-bit) blocks sit inside MA-L prefixes: the longest match wins. */
const PREFIX_LENGTHS = [9, 7, 6] as const;
const CACHE_MAX = 4096;

/** The organisation (first line of the value) for a hex prefix in oui-data's JSON bytes. */
export function findVendor(json: Buffer, hexPrefix: string): string | null {
  const at = json.indexOf(`"${hexPrefix}":`);
  if (at < 0) return null;
  const open = json.indexOf('"', at + hexPrefix.length + 3);
  if (open < 0) return null;
  let end = open + 1;
  // the value ends at the first quote not preceded by a backslash
  while (end < json.length && !(json[end] === 0x22 && json[end - 1] !== 0x5c)) end++;
  try {
    const value = JSON.parse(json.toString('utf8', open, end + 1)) as string;
    return value.split('\n')[0]!.trim() || null;
  } catch {
    return null;
  }
}

function readOuiData(): Buffer {
  return readFileSync(createRequire(import.meta.url).resolve('oui-data'));
}

export function createVendorLookup(load: () => Buffer = readOuiData): VendorLookup {
  const cache = new Map<string, string | null>();
  return {
    vendorOf(mac) {
      // Randomised (private) MACs carry no vendor; saying "unknown" beats naming the wrong one.
      if (isLocallyAdministered(mac)) return null;
      const hex = mac.replace(/[:-]/g, '').toUpperCase();
      const cached = cache.get(hex.slice(0, 9));
      if (cached !== undefined) return cached;
      const json = load();
      let vendor: string | null = null;
      for (const len of PREFIX_LENGTHS) {
        vendor = findVendor(json, hex.slice(0, len));
        if (vendor) break;
      }
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(hex.slice(0, 9), vendor);
      return vendor;
    },
  };
}
