/**
 * The service/category catalogue: which service a domain belongs to (NextDNS's service lists),
 * which category that service is in (our own taxonomy, categories.json) and whether a name is a
 * way around the gateway's DNS (NextDNS's DNS bypass lists). Loaded once at start; lookups walk
 * the name's label suffixes with one Map lookup each, so they cost O(labels), not O(domains).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BypassKind, CatalogCategory, CatalogService } from '@packetpilot/protocol';
import type { Logger } from '../log.js';
import { isValidName, longestSuffix, normaliseName } from './names.js';

export type { BypassKind };

/** The bypass lists, in the order that decides a name listed twice (vpn and proxies share some). */
export const BYPASS_KINDS: readonly BypassKind[] = [
  'encrypted-dns',
  'vpn',
  'proxies',
  'tor',
  'apple-private-relay',
  'browsers',
  'linux',
];

/** gateway/catalog, from both src/classify and dist/classify. */
export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../../catalog/', import.meta.url));

export interface ServiceEntry {
  readonly id: string;
  readonly name: string;
  /** Category id; null only when categories.json forgot the service (a test prevents that). */
  readonly category: string | null;
  /** Lower-case, sorted, unique. */
  readonly domains: readonly string[];
}

export interface CategoryEntry {
  readonly id: string;
  readonly name: string;
  readonly services: readonly string[];
}

/** categories.json: our taxonomy and display names. */
export interface Taxonomy {
  categories: Array<{ id: string; name: string; services: string[] }>;
  /** Service id → display name. */
  services: Record<string, string>;
}

/** The raw catalogue: file texts by service id / bypass kind, and the taxonomy. */
export interface CatalogSources {
  services: Record<string, string>;
  bypass: Partial<Record<BypassKind, string>>;
  taxonomy: Taxonomy;
}

export class Catalog {
  readonly #serviceByDomain = new Map<string, ServiceEntry>();
  readonly #bypassByDomain = new Map<string, BypassKind>();
  readonly #services = new Map<string, ServiceEntry>();
  readonly #categories = new Map<string, CategoryEntry>();
  /** Data lines that were skipped (not a domain name), and names listed by two services. */
  readonly warnings: string[] = [];
  /**
   * Disagreements between the service files and categories.json: a service without a category
   * or a display name, a category listing a service that has no file. Empty for shipped data.
   */
  readonly problems: string[] = [];

  /** Reads gateway/catalog (or `dir`) synchronously: done once at start. */
  static load(dir: string = DEFAULT_CATALOG_DIR, log?: Logger): Catalog {
    const dataFiles = (sub: string) =>
      readdirSync(join(dir, sub), { withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.includes('.') && e.name !== 'LICENSE' && e.name !== 'NOTICE')
        .map((e) => e.name)
        .sort();
    const read = (sub: string, file: string) => readFileSync(join(dir, sub, file), 'utf8');
    const services: Record<string, string> = {};
    for (const id of dataFiles('services')) services[id] = read('services', id);
    const bypass: Partial<Record<BypassKind, string>> = {};
    const present = new Set(dataFiles('bypass'));
    for (const kind of BYPASS_KINDS) if (present.has(kind)) bypass[kind] = read('bypass', kind);
    const taxonomy = JSON.parse(readFileSync(join(dir, 'categories.json'), 'utf8')) as Taxonomy;
    const catalog = new Catalog({ services, bypass, taxonomy });
    if (log && (catalog.warnings.length > 0 || catalog.problems.length > 0)) {
      log.warn(
        {
          skipped: catalog.warnings.length,
          firstSkipped: catalog.warnings.slice(0, 5),
          problems: catalog.problems,
        },
        'catalogue loaded with warnings',
      );
    }
    return catalog;
  }

  constructor(sources: CatalogSources) {
    const categoryOf = new Map<string, string>();
    for (const c of sources.taxonomy.categories) {
      const known = c.services.filter((id) => {
        if (!Object.hasOwn(sources.services, id)) {
          this.problems.push(`category '${c.id}' lists service '${id}', which has no file in services/`);
          return false;
        }
        const other = categoryOf.get(id);
        if (other !== undefined) {
          this.problems.push(`service '${id}' is in categories '${other}' and '${c.id}'; keeping '${other}'`);
          return false;
        }
        categoryOf.set(id, c.id);
        return true;
      });
      this.#categories.set(c.id, { id: c.id, name: c.name, services: known.sort() });
    }
    for (const id of Object.keys(sources.taxonomy.services)) {
      if (!Object.hasOwn(sources.services, id))
        this.problems.push(`display name for '${id}', which has no file`);
    }

    for (const id of Object.keys(sources.services).sort()) {
      const category = categoryOf.get(id) ?? null;
      if (category === null) this.problems.push(`service '${id}' has no category in categories.json`);
      const name = Object.hasOwn(sources.taxonomy.services, id) ? sources.taxonomy.services[id] : undefined;
      if (name === undefined) this.problems.push(`service '${id}' has no display name in categories.json`);
      const domains = this.#parse(`services/${id}`, sources.services[id]!);
      const entry: ServiceEntry = { id, name: name ?? id, category, domains };
      this.#services.set(id, entry);
      for (const d of domains) {
        const holder = this.#serviceByDomain.get(d);
        if (holder) this.warnings.push(`services/${id}: ${d} is already listed by '${holder.id}'`);
        else this.#serviceByDomain.set(d, entry);
      }
    }

    for (const kind of BYPASS_KINDS) {
      const text = sources.bypass[kind];
      if (text === undefined) continue;
      for (const d of this.#parse(`bypass/${kind}`, text)) {
        if (!this.#bypassByDomain.has(d)) this.#bypassByDomain.set(d, kind);
      }
    }
  }

  /** The service a name belongs to: the longest listed suffix wins. Case-insensitive. */
  serviceForDomain(name: string): ServiceEntry | null {
    return longestSuffix(this.#serviceByDomain, normaliseName(name))?.value ?? null;
  }

  categoryForDomain(name: string): CategoryEntry | null {
    const category = this.serviceForDomain(name)?.category;
    return category ? (this.#categories.get(category) ?? null) : null;
  }

  /** Which bypass list the name (or a parent) is on, or null. */
  bypassKind(name: string): BypassKind | null {
    return longestSuffix(this.#bypassByDomain, normaliseName(name))?.value ?? null;
  }

  service(id: string): ServiceEntry | null {
    return this.#services.get(id) ?? null;
  }

  category(id: string): CategoryEntry | null {
    return this.#categories.get(id) ?? null;
  }

  /** For the API, sorted by id. */
  services(): CatalogService[] {
    return [...this.#services.values()].map((s) => ({
      id: s.id,
      name: s.name,
      category: s.category,
      domainCount: s.domains.length,
      domains: [...s.domains],
    }));
  }

  /** For the API, in categories.json's order. */
  categories(): CatalogCategory[] {
    return [...this.#categories.values()].map((c) => ({ id: c.id, name: c.name, services: [...c.services] }));
  }

  /** The file's domains: comments (# to the end of the line) and blank lines skipped, lower-cased. */
  #parse(file: string, text: string): string[] {
    const out = new Set<string>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const hash = lines[i]!.indexOf('#');
      const line = (hash >= 0 ? lines[i]!.slice(0, hash) : lines[i]!).trim();
      if (line === '') continue;
      const name = normaliseName(line);
      if (isValidName(name, 'dns')) out.add(name);
      else this.warnings.push(`${file}:${i + 1}: not a domain name: ${JSON.stringify(line)}`);
    }
    return [...out].sort();
  }
}
