/** The query log's live tail: merging each poll into what is shown (pure; tested in tail.test.ts). */
import type { DnsQuery } from '@packetpilot/protocol';

/** Newest first, no duplicates, at most `max` entries. */
export function mergeQueries(
  shown: readonly DnsQuery[],
  incoming: readonly DnsQuery[],
  max = 1000,
): DnsQuery[] {
  const byId = new Map<number, DnsQuery>();
  for (const q of shown) byId.set(q.id, q);
  for (const q of incoming) byId.set(q.id, q);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, max);
}

export interface LogFilter {
  device: number | null;
  blocked: boolean | null;
  text: string;
}

/** Filters from the address bar (`/dns?device=3&blocked=true&q=tube`). */
export function filterFromQuery(q: Record<string, unknown>): LogFilter {
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const device = Number(one(q.device));
  const blocked = one(q.blocked);
  const text = one(q.q);
  return {
    device:
      Number.isInteger(device) && device >= 0 && one(q.device) !== undefined && one(q.device) !== ''
        ? device
        : null,
    blocked: blocked === 'true' ? true : blocked === 'false' ? false : null,
    text: typeof text === 'string' ? text : '',
  };
}

export function filterToQuery(f: LogFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.device !== null) out.device = String(f.device);
  if (f.blocked !== null) out.blocked = String(f.blocked);
  if (f.text) out.q = f.text;
  return out;
}
