/**
 * Windows tool output → sockets and processes. Pure; the fixtures in testdata/ are hand-written
 * from the tools' documented formats (no Windows machine here), see testdata/README.md.
 *
 *   netstat -ano:   TCP    192.168.1.20:49712     20.42.65.92:443        ESTABLISHED     5236
 *                   UDP    0.0.0.0:5353           *:*                                    2344
 *   Get-Process … | Select-Object Id,ProcessName,Path,Product,UserName | ConvertTo-Json -Compress
 *   tasklist /fo csv /nh:   "chrome.exe","5236","Console","1","245,332 K"
 */
import { parseHost, parsePort, splitHostPort } from './address.js';
import type { AppInfo, Endpoint, Proto } from './collector.js';

export interface NetstatRow {
  proto: Proto;
  local: Endpoint;
  remote: Endpoint;
  /** As printed (localised on non-English Windows); empty for UDP. */
  state: string;
  /** No remote: TCP listeners (`0.0.0.0:0`, `[::]:0`) and every UDP endpoint. */
  listening: boolean;
  pid: number;
}

export function parseNetstatAno(text: string): { rows: NetstatRow[]; malformed: string[] } {
  const rows: NetstatRow[] = [];
  const malformed: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const f = raw.trim().split(/\s+/);
    const proto = f[0]?.toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp') continue; // headers, localised titles, blank lines
    const tcp = proto === 'tcp';
    const state = tcp ? (f[3] ?? '') : '';
    const pidText = tcp ? f[4] : f[3];
    const local = endpoint(f[1]);
    const remote = endpoint(f[2], local?.address.includes(':'));
    if (!local || !remote || !/^\d+$/.test(pidText ?? '') || f.length !== (tcp ? 5 : 4)) {
      malformed.push(raw.trim());
      continue;
    }
    const listening = remote.port === 0;
    rows.push({ proto, local, remote, state, listening, pid: Number(pidText) });
  }
  return { rows, malformed };
}

function endpoint(text: string | undefined, v6Hint = false): Endpoint | null {
  const hp = text ? splitHostPort(text) : null;
  if (!hp) return null;
  const address = parseHost(hp.host, v6Hint);
  const port = parsePort(hp.port);
  return address === null || port === null ? null : { address, port };
}

/** Product names that say nothing about the app (every svchost.exe carries this one). */
const GENERIC_PRODUCT = /operating system/i;

/** The app name for a Windows process: its product name where that says something, else the exe. */
export function windowsAppName(processName: string, product?: string | null): string {
  const p = product?.trim();
  return p && !GENERIC_PRODUCT.test(p) ? p : processName.replace(/\.exe$/i, '');
}

/** Get-Process … | ConvertTo-Json: one object or an array of them. */
export function parseGetProcessJson(text: string): Map<number, AppInfo> {
  const apps = new Map<number, AppInfo>();
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return apps;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return apps;
  }
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item !== 'object' || item === null) continue;
    const p = item as Record<string, unknown>;
    const pid = p.Id;
    const name = p.ProcessName;
    if (typeof pid !== 'number' || typeof name !== 'string' || name === '') continue;
    const app: AppInfo = { name: windowsAppName(name, typeof p.Product === 'string' ? p.Product : null) };
    if (typeof p.Path === 'string' && p.Path !== '') app.path = p.Path;
    if (typeof p.UserName === 'string' && p.UserName !== '') app.user = p.UserName;
    apps.set(pid, app);
  }
  return apps;
}

/** tasklist /fo csv /nh → pid → app (image name only: tasklist has no path). */
export function parseTasklistCsv(text: string): Map<number, AppInfo> {
  const apps = new Map<number, AppInfo>();
  for (const line of text.split(/\r?\n/)) {
    const cells = [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? '').replace(/""/g, '"'));
    const [image, pid] = cells;
    if (!image || !pid || !/^\d+$/.test(pid)) continue;
    apps.set(Number(pid), { name: windowsAppName(image) });
  }
  return apps;
}

/** The PowerShell script that describes the given processes (user names need elevation). */
export function getProcessScript(pids: readonly number[]): string {
  const ids = pids.map((p) => String(Math.trunc(p))).join(',');
  return [
    `$ids = @(${ids})`,
    '$p = @(Get-Process -Id $ids -IncludeUserName -ErrorAction SilentlyContinue)',
    'if ($p.Count -eq 0) { $p = @(Get-Process -Id $ids -ErrorAction SilentlyContinue) }',
    '$p | Select-Object Id,ProcessName,Path,Product,UserName | ConvertTo-Json -Compress',
  ].join('; ');
}
