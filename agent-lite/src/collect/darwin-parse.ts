/**
 * macOS tool output → sockets and processes. Pure; the fixtures in testdata/ are hand-written from
 * lsof(8)'s "OUTPUT FOR OTHER PROGRAMS" section and ps(1) (no Mac here), see testdata/README.md.
 *
 * `lsof -nP -i -F pcuftPTn`: one field per line, the first character names it. A process set
 * (p pid, c command, u uid) is followed by its file sets (f fd, t type, P protocol, n name, T TCP info):
 *
 *   p412\ncfirefox\nu501\nf61\ntIPv4\nPTCP\nn10.0.1.5:52344->17.253.144.10:443\nTST=ESTABLISHED
 */
import { parseHost, parsePort, splitHostPort } from './address.js';
import type { AppInfo, Endpoint, Proto } from './collector.js';

export const LSOF_ARGS = ['-nP', '-w', '-i', '-F', 'pcuftPTn'] as const;

export interface LsofSocket {
  pid: number;
  command: string;
  uid?: number;
  proto: Proto;
  local: Endpoint;
  remote: Endpoint;
  /** TST= value for TCP (ESTABLISHED, LISTEN, …); empty for UDP. */
  state: string;
}

export function parseLsofFields(text: string): { sockets: LsofSocket[]; malformed: string[] } {
  const sockets: LsofSocket[] = [];
  const malformed: string[] = [];
  let proc: { pid: number; command: string; uid?: number } | null = null;
  let file: { proto?: string; name?: string; state: string } | null = null;
  const endFile = () => {
    if (proc && file?.name !== undefined) {
      const s = toSocket(proc, file.proto, file.name, file.state);
      if (s) sockets.push(s);
      else malformed.push(`p${proc.pid} P${file.proto ?? '?'} n${file.name}`);
    }
    file = null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    const id = line[0];
    const value = line.slice(1);
    if (id === 'p') {
      endFile();
      proc = /^\d+$/.test(value) ? { pid: Number(value), command: '' } : null;
      if (!proc) malformed.push(line);
    } else if (id === 'f') {
      endFile();
      file = { state: '' };
    } else if (proc && !file && id === 'c') proc.command = value;
    else if (proc && !file && id === 'u' && /^\d+$/.test(value)) proc.uid = Number(value);
    else if (file && id === 'P') file.proto = value;
    else if (file && id === 'n') file.name = value;
    else if (file && id === 'T' && value.startsWith('ST=')) file.state = value.slice(3);
  }
  endFile();
  return { sockets, malformed };
}

function toSocket(
  proc: { pid: number; command: string; uid?: number },
  protoText: string | undefined,
  name: string,
  state: string,
): LsofSocket | null {
  const proto = protoText?.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') return null;
  const [localText, remoteText] = name.split('->');
  const local = endpoint(localText);
  const remote = remoteText === undefined ? unspecified(local) : endpoint(remoteText);
  if (!local || !remote) return null;
  const s: LsofSocket = { pid: proc.pid, command: proc.command, proto, local, remote, state };
  if (proc.uid !== undefined) s.uid = proc.uid;
  return s;
}

function unspecified(local: Endpoint | null): Endpoint | null {
  return local ? { address: local.address.includes(':') ? '::' : '0.0.0.0', port: 0 } : null;
}

function endpoint(text: string | undefined): Endpoint | null {
  const hp = text ? splitHostPort(text) : null;
  if (!hp) return null;
  const address = parseHost(hp.host);
  const port = parsePort(hp.port);
  return address === null || port === null ? null : { address, port };
}

/** `ps -o pid=,user=,comm= -p …` (macOS prints comm as the executable's full path). */
export function parsePsComm(text: string): Map<number, AppInfo> {
  const apps = new Map<number, AppInfo>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) continue;
    apps.set(Number(m[1]), { ...macAppFromPath(m[3]), user: m[2] });
  }
  return apps;
}

/**
 * The outermost `.app` bundle names the app (a helper deep inside Google Chrome.app is still
 * "Google Chrome"); outside bundles, the executable's base name.
 */
export function macAppFromPath(path: string): { name: string; path?: string } {
  const bundle = /(?:^|\/)([^/]+)\.app(?:\/|$)/.exec(path);
  const base = path.slice(path.lastIndexOf('/') + 1);
  const name = bundle?.[1] ?? base;
  return path.startsWith('/') ? { name, path } : { name };
}
