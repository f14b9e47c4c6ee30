/**
 * The resolver's worker thread: the DNS server with its own replica of the policy engine and of
 * the address → device map, so a query never waits for the main thread (database writes, nft
 * and conntrack children, API requests). Answers and query records go back in one message per
 * turn of this thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Rule } from '@packetpilot/protocol';
import { Catalog } from '../../classify/catalog.js';
import { DnsServer } from '../../dns/server.js';
import type { ClientDevices, DnsAnswer, DnsAnswerListener, DnsQueryRecord } from '../../dns/types.js';
import { PolicyEngine } from '../../policy/engine.js';
import { threadLogger } from './log.js';
import type { FromWorker, PolicySnapshot, ToWorker, WorkerInit } from './messages.js';

/** A client no device holds is reported at most this often (the scanner throttles rescans too). */
const UNKNOWN_CLIENT_REPORT_MS = 2_000;
/**
 * The same answer to the same client is passed on at most once in this window: the attribution
 * memory and the enforcer only need it again when it changes or nears its TTL, and a client
 * asking for one name thousands of times a second would otherwise cost the main thread as much.
 */
const SAME_ANSWER_MS = 1_000;
/**
 * Allowed queries beyond this rate (burst: a second's worth) are counted, not sent: the query
 * log writes at most 2 000 rows a second (querylog/writer.ts) and drops the rest anyway
 * (reported in health). Blocked queries always go through — they are the rule hits and the
 * "why blocked" of the log.
 */
const QUERY_RECORDS_PER_SECOND = 2_000;

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);
const log = threadLogger(init.logLevel, (record) => post({ type: 'log', record }), { thread: 'dns' });

let exempt = new Set<number>();
const engine = new PolicyEngine<Rule>({
  catalog: Catalog.load(init.catalogDir, log),
  bypassPrevention: (id) => !exempt.has(id),
});
function applyPolicy(p: PolicySnapshot) {
  exempt = new Set(p.bypassExempt);
  engine.setRules(p.rules);
}
applyPolicy(init.policy);

let byAddress = new Map(init.clients);
const reported = new Map<string, number>();
const clients: ClientDevices = {
  deviceIdForAddressSync: (address) => byAddress.get(address) ?? 0,
  unknownClient(address) {
    const now = Date.now();
    if (now - (reported.get(address) ?? 0) < UNKNOWN_CLIENT_REPORT_MS) return;
    if (reported.size > 4096) reported.clear();
    reported.set(address, now);
    post({ type: 'unknownClient', address });
  },
};

let answers: DnsAnswer[] = [];
let queries: DnsQueryRecord[] = [];
let droppedQueries = 0;
let flushScheduled = false;
function flush() {
  flushScheduled = false;
  if (!answers.length && !queries.length && !droppedQueries) return;
  post({ type: 'events', answers, queries, droppedQueries });
  answers = [];
  queries = [];
  droppedQueries = 0;
}

/** client → name → what was last passed on. Answers from the cache share one addresses array. */
const lastAnswer = new Map<
  string,
  Map<string, { at: number; addresses: readonly string[]; decision: string }>
>();
let remembered = 0;
function isRepeat(a: DnsAnswer, now: number): boolean {
  let names = lastAnswer.get(a.client);
  if (names === undefined) {
    names = new Map();
    lastAnswer.set(a.client, names);
  }
  const decision = a.decision.action === 'block' ? `b${a.decision.ruleId}` : `a${a.decision.ruleId}`;
  const last = names.get(a.name);
  if (last !== undefined && now - last.at < SAME_ANSWER_MS && last.decision === decision) {
    if (last.addresses === a.addresses || last.addresses.join() === a.addresses.join()) return true;
  }
  if (last === undefined && ++remembered > 50_000) {
    lastAnswer.clear();
    remembered = 0;
  }
  names.set(a.name, { at: now, addresses: a.addresses, decision });
  return false;
}

let tokens = QUERY_RECORDS_PER_SECOND;
let refilledAt = Date.now();
function admitQuery(r: DnsQueryRecord): boolean {
  if (r.decision.action === 'block') return true;
  if (tokens < 1) {
    const now = Date.now();
    tokens = Math.min(
      QUERY_RECORDS_PER_SECOND,
      tokens + ((now - refilledAt) * QUERY_RECORDS_PER_SECOND) / 1000,
    );
    refilledAt = now;
    if (tokens < 1) return false;
  }
  tokens -= 1;
  return true;
}
function schedule() {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}
const listener: DnsAnswerListener = {
  onAnswer(a) {
    if (isRepeat(a, Date.now())) return;
    answers.push(a);
    schedule();
  },
  onQuery(r) {
    if (admitQuery(r)) queries.push(r);
    else droppedQueries += 1;
    schedule();
  },
};

const server = new DnsServer({
  listen: init.listen,
  settings: init.settings,
  tuning: init.tuning,
  policy: engine,
  clients,
  listener,
  health: {
    raise: (code, message) => post({ type: 'health', raise: true, code, message }),
    clear: (code) => post({ type: 'health', raise: false, code }),
  },
  log,
});

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'settings':
      server.updateSettings(m.settings);
      break;
    case 'policy':
      applyPolicy(m.policy);
      post({ type: 'policyApplied', seq: m.seq });
      break;
    case 'clients':
      byAddress = new Map(m.clients);
      break;
    case 'stats':
      post({ type: 'stats', seq: m.seq, stats: server.stats() });
      break;
    case 'stop':
      void server.stop().then(() => {
        flush();
        port.close();
      });
      break;
  }
});

server.start().then(
  () => post({ type: 'started', addresses: server.addresses() }),
  (err: unknown) => post({ type: 'failed', message: (err as Error).message }),
);
