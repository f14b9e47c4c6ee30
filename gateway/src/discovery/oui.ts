import { createRequire } from 'node:module';

/**
 * Vendor lookup from the IEEE MA-L registry, shipped by the npm package `oui-data`
 * (BSD-2-Clause, see gateway/catalog/oui/NOTICE). The file is large, so it is read once on first
 * use and only the organisation name (first line) of each prefix is kept.
 */
export interface VendorLookup {
  vendorOf(mac: string): string | null;
}

export function isLocallyAdministered(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 0b10) !== 0;
}

export function createVendorLookup(
  load: () => Record<string, string> = () =>
    createRequire(import.meta.url)('oui-data') as Record<string, string>,
): VendorLookup {
  let table: Map<string, string> | null = null;
  return {
    vendorOf(mac) {
      // Randomised (private) MACs carry no vendor; saying "unknown" beats naming the wrong one.
      if (isLocallyAdministered(mac)) return null;
      if (!table) {
        table = new Map();
        for (const [prefix, entry] of Object.entries(load())) {
          table.set(prefix.toUpperCase(), entry.split('\n')[0]!.trim());
        }
      }
      return table.get(mac.replace(/:/g, '').slice(0, 6).toUpperCase()) ?? null;
    },
  };
}
