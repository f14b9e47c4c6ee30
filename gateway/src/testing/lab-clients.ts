/** Clients' view of the lab in tests: downloads that report when bytes stop, dig, raw TCP reads. */
import { createInterface } from 'node:readline';
import { waitFor } from '../lab/index.js';
import { systemRunner as runner } from '../os/runner.js';

/**
 * An HTTP download in a client namespace that reports, every 5 ms, the wall-clock time its last
 * bytes arrived and the total: how "the transfer really stopped" is measured. Node reads as
 * fast as data comes, so nothing piles up in the socket buffer and skews the stop time.
 */
const DOWNLOADER = `
const http = require('node:http');
let total = 0, last = 0;
const now = () => performance.timeOrigin + performance.now();
http.get(process.argv[1], (res) => {
  res.on('data', (d) => { total += d.length; last = now(); });
  res.on('error', () => {});
}).on('error', (e) => console.log('error ' + e.message));
setInterval(() => console.log(last + ' ' + total), 5).unref();
setInterval(() => {}, 1 << 30);`;

export interface Download {
  last: number;
  total: number;
  stop(): void;
}

export function download(ns: string, url: string): Download {
  const child = runner.spawn('node', ['-e', DOWNLOADER, url], { netns: ns });
  const d: Download = { last: 0, total: 0, stop: () => void child.kill('SIGKILL') };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [last, total] = line.split(' ').map(Number);
    if (Number.isFinite(last) && Number.isFinite(total)) Object.assign(d, { last, total });
  });
  return d;
}

export const growing = async (d: Download, what: string, atLeast = 1 << 20): Promise<void> => {
  const from = d.total;
  await waitFor(() => d.total >= from + atLeast, { timeoutMs: 5000, intervalMs: 10, what });
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function curlOk(ns: string, url: string, maxTime = 1): Promise<boolean> {
  const r = await runner.run('curl', ['-sf', '-m', String(maxTime), '-o', '/dev/null', url], {
    netns: ns,
    timeoutMs: 10_000,
  });
  return r.code === 0;
}

export async function dig(ns: string, server: string, name: string, extra: string[] = []): Promise<string> {
  const args = ['+short', '+time=1', '+tries=1', ...extra, `@${server}`, name, 'A'];
  return (await runner.run('dig', args, { netns: ns, timeoutMs: 10_000 })).stdout.trim();
}

/** TCP connect + read: 'refused', 'timeout' (dropped on the way) or what the server sent. */
export async function tcpRead(ns: string, host: string, port: number): Promise<string> {
  const script = `exec 3<>"/dev/tcp/$1/$2" || exit 3; head -n 1 <&3`;
  const r = await runner.run('timeout', ['1.5', 'bash', '-c', script, 'tcp', host, String(port)], {
    netns: ns,
    timeoutMs: 10_000,
  });
  if (r.code === 124) return 'timeout';
  if (/refused/i.test(r.stderr)) return 'refused';
  return r.stdout;
}
