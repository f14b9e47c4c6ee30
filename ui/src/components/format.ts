/**
 * Every number the UI shows goes through here. Bytes use decimal units (1 KB = 1000 B, as
 * network gear and ISPs count); rates are bits per second (the API sends bytes per second).
 * See docs/decisions/0009-ui.md.
 */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] as const;
const BIT_RATE_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;

function scaled(value: number, units: readonly string[]): string {
  if (!Number.isFinite(value)) return '–';
  const sign = value < 0 ? '-' : '';
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // 3 significant digits: 1.23 MB, 12.3 MB, 123 MB; whole numbers for the base unit
  const digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
  let text = v.toFixed(digits);
  // 999.96 KB rounds to "1000 KB": move up a unit instead
  if (Number(text) >= 1000 && i < units.length - 1) {
    v = Number(text) / 1000;
    i++;
    text = v.toFixed(2);
  }
  return `${sign}${text} ${units[i]}`;
}

/** 1234567 → "1.23 MB". */
export function formatBytes(bytes: number): string {
  return scaled(bytes, BYTE_UNITS);
}

/** Bytes per second in, bits per second out: 1_250_000 → "10.0 Mbit/s". */
export function formatBitRate(bytesPerSecond: number): string {
  return scaled(bytesPerSecond * 8, BIT_RATE_UNITS);
}

/** A short axis label for a rate in bytes/s: "10 Mbit/s", "1.5 Gbit/s". */
export function formatBitRateAxis(bytesPerSecond: number): string {
  return formatBitRate(bytesPerSecond)
    .replace(/\.0+ /, ' ')
    .replace(/(\.\d)0 /, '$1 ');
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? integer.format(n) : '–';
}

export function formatPercent(part: number, whole: number): string {
  if (!whole) return '0%';
  const p = (part / whole) * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time "14:05:09". */
export function formatClock(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '–';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local "2026-11-25 14:05" (seconds with `seconds: true`). */
export function formatDateTime(iso: string | Date | null, opts: { seconds?: boolean } = {}): string {
  if (iso === null) return '–';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return '–';
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${opts.seconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${date} ${time}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; future times as "in 5 min". */
export function formatRelative(iso: string | Date | null, now: Date = new Date()): string {
  if (iso === null) return 'never';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  const ms = now.getTime() - d.getTime();
  if (Number.isNaN(ms)) return '–';
  const future = ms < 0;
  const s = Math.abs(ms) / 1000;
  let text: string;
  if (s < 45) return future ? 'in a moment' : 'just now';
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 86_400) text = `${Math.round(s / 3600)} h`;
  else {
    const days = Math.round(s / 86_400);
    text = `${days} day${days === 1 ? '' : 's'}`;
  }
  return future ? `in ${text}` : `${text} ago`;
}
