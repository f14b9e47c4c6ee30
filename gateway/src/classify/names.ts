/**
 * Domain names as the catalogue and the policy see them: lower-case, no trailing dot, matched by
 * walking the name's label suffixes (www.youtube.com → youtube.com → com), one Map lookup each.
 */

/** A DNS label: letters, digits, hyphen inside, underscore allowed (service names like _tcp). */
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** A hostname label (RFC 1123): letters, digits, hyphen inside. */
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower-case, without one trailing dot. What every lookup here expects. */
export function normaliseName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Whether a normalised name is valid: 1–253 characters of dot-separated labels. `host` requires
 * hostname syntax (no underscores), as for names an admin types; the catalogue data may hold
 * DNS-only names such as `_spotify-connect._tcp.local`.
 */
export function isValidName(name: string, syntax: 'dns' | 'host' = 'dns'): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const label = syntax === 'host' ? HOST_LABEL : DNS_LABEL;
  for (const part of name.split('.')) if (!label.test(part)) return false;
  return true;
}

/**
 * The value of the longest suffix of `name` (itself included) that is a key of `map`, with that
 * suffix. O(labels): one lookup per label, no scan of the map.
 */
export function longestSuffix<T>(
  map: ReadonlyMap<string, T>,
  name: string,
): { suffix: string; value: T } | undefined {
  let start = 0;
  for (;;) {
    const suffix = start === 0 ? name : name.slice(start);
    const value = map.get(suffix);
    if (value !== undefined) return { suffix, value };
    const dot = name.indexOf('.', start);
    if (dot < 0) return undefined;
    start = dot + 1;
  }
}

/** Every suffix of `name`, itself first: a.b.c → [a.b.c, b.c, c]. */
export function suffixesOf(name: string): string[] {
  const out = [name];
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
    out.push(name.slice(dot + 1));
  }
  return out;
}
