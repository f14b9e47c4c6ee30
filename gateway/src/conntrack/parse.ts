import type { Flow, FlowEvent, FlowEventType, FlowTuple, Parsed } from './flow.js';

/*
 * What conntrack-tools 1.4.7 prints (recorded in testdata/, kernel 6.18):
 *   dump  `-L -o extended,id`:
 *     ipv4 2 tcp 6 119 TIME_WAIT src=… dst=… sport=… dport=… packets=5 bytes=2268 src=… dst=…
 *     sport=… dport=… packets=3 bytes=164 [ASSURED] mark=0 use=1 id=2308905253
 *   events `-E -o timestamp,extended,id`: `[1795616538.474026]\t    [NEW] ipv4 …` — NEW and
 *     UPDATE carry no counters; DESTROY carries the final ones (with acct on) and ends with
 *     `id=… [USERSPACE] portid=… progname=…` when a tool deleted it.
 * `-o id` prints `id=` after the tuples — for icmp the tuples have their own `id=` (echo id),
 * so an `id=` that repeats within a tuple or follows its counters belongs to the entry.
 * Family is not selected: 1.4.7 dumps both IPv4 and IPv6 by default.
 */

const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id', 'packets', 'bytes']);
const EVENT = /^\s*(?:\[(\d+(?:\.\d+)?)\]\s+)?\[(NEW|UPDATE|DESTROY)\]\s+(.*)$/;

function int(v: string, what: string): number {
  if (!/^\d+$/.test(v)) throw new Error(`${what}=${v} is not a number`);
  return Number(v);
}

function finishTuple(raw: Map<string, string>, which: string): FlowTuple {
  const src = raw.get('src');
  const dst = raw.get('dst');
  if (!src || !dst) throw new Error(`${which} tuple lacks src/dst`);
  const t: FlowTuple = { src, dst };
  const opt = (k: string, set: (n: number) => void): void => {
    const v = raw.get(k);
    if (v !== undefined) set(int(v, k));
  };
  opt('sport', (n) => (t.sport = n));
  opt('dport', (n) => (t.dport = n));
  opt('type', (n) => (t.type = n));
  opt('code', (n) => (t.code = n));
  opt('id', (n) => (t.icmpId = n));
  opt('packets', (n) => (t.packets = n));
  opt('bytes', (n) => (t.bytes = n));
  return t;
}

/** One flow in `-o extended[,id]` form, without the event prefix. */
export function parseFlowBody(body: string): Flow {
  // A line cut from a whole dump's output is a slice of it, and so are the tokens cut from the
  // line: one address kept in a tracked flow kept the entire dump (~1 MB with 4 000 flows) alive.
  // A copy of the line (~200 bytes) is what the flow's strings keep instead.
  const tok = Buffer.from(body.trim()).toString().split(/\s+/);
  const [family, , proto, protoNum, fifth] = tok;
  if (family !== 'ipv4' && family !== 'ipv6') throw new Error(`unknown family ${family ?? '(none)'}`);
  if (!proto || !protoNum || !fifth) throw new Error('truncated header');
  // An entry that expired has no timeout left: its DESTROY event goes straight to the state or
  // the tuples (`… tcp 6 TIME_WAIT src=…`, `… udp 17 src=…`).
  const hasTimeout = /^\d+$/.test(fifth);
  const flow: Flow = {
    family,
    proto,
    protoNum: int(protoNum, 'proto'),
    timeout: hasTimeout ? int(fifth, 'timeout') : 0,
    orig: { src: '', dst: '' },
    reply: { src: '', dst: '' },
    unreplied: false,
    assured: false,
  };
  const tuples: Array<Map<string, string>> = [];
  let cur: Map<string, string> | null = null;
  const close = (): void => {
    if (cur) tuples.push(cur);
    cur = null;
  };
  for (const t of tok.slice(hasTimeout ? 5 : 4)) {
    if (t.startsWith('[')) {
      close();
      if (t === '[UNREPLIED]') flow.unreplied = true;
      else if (t === '[ASSURED]') flow.assured = true;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) {
      if (tuples.length === 0 && !cur && flow.state === undefined && /^[A-Z_]+$/.test(t)) flow.state = t;
      else throw new Error(`unexpected token "${t}"`);
      continue;
    }
    const k = t.slice(0, eq);
    const v = t.slice(eq + 1);
    if (k === 'src' && tuples.length < 2) {
      close();
      cur = new Map([[k, v]]);
      continue;
    }
    const c: Map<string, string> | null = cur;
    if (c && TUPLE_KEYS.has(k) && !c.has(k) && !(k === 'id' && c.has('packets'))) {
      c.set(k, v);
      continue;
    }
    close();
    if (k === 'id') flow.id = int(v, 'id');
    else if (k === 'mark') flow.mark = int(v, 'mark');
    else if (k === 'zone') flow.zone = int(v, 'zone');
    // use=, portid=, progname=, secctx=, labels=, helper=, delta-time=: not needed.
  }
  close();
  if (tuples.length !== 2) throw new Error(`expected 2 tuples, found ${tuples.length}`);
  flow.orig = finishTuple(tuples[0]!, 'original');
  flow.reply = finishTuple(tuples[1]!, 'reply');
  return flow;
}

export function parseFlowLine(line: string): Parsed<Flow> {
  try {
    return { ok: true, value: parseFlowBody(line) };
  } catch (err) {
    return { ok: false, error: `conntrack flow: ${(err as Error).message}`, line };
  }
}

export function parseEventLine(line: string): Parsed<FlowEvent> {
  const m = EVENT.exec(line);
  if (!m) return { ok: false, error: 'conntrack event: no [NEW]/[UPDATE]/[DESTROY] tag', line };
  try {
    const ev: FlowEvent = { type: m[2] as FlowEventType, flow: parseFlowBody(m[3]!) };
    if (m[1]) ev.timestamp = Number(m[1]);
    return { ok: true, value: ev };
  } catch (err) {
    return { ok: false, error: `conntrack event: ${(err as Error).message}`, line };
  }
}

/** Tool chatter that can land on the same stream and is not data. */
export function isChatter(line: string): boolean {
  return (
    line.trim() === '' || /^conntrack v[\d.]+ \(conntrack-tools\)/.test(line) || line.startsWith('NOTICE:')
  );
}

export function parseDump(text: string): { flows: Flow[]; errors: Array<{ error: string; line: string }> } {
  const flows: Flow[] = [];
  const errors: Array<{ error: string; line: string }> = [];
  for (const line of text.split('\n')) {
    if (isChatter(line)) continue;
    const r = parseFlowLine(line);
    if (r.ok) flows.push(r.value);
    else errors.push({ error: r.error, line: r.line });
  }
  return { flows, errors };
}
