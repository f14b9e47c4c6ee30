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
import type { ClientDevices, DnsAnswerListener, DnsQueryRecord } from '../../dns/types.js';
import { createLogger } from '../../log.js';
import { PolicyEngine } from '../../policy/engine.js';
import type { AnswerEvent, FromWorker, PolicySnapshot, ToWorker, WorkerInit } from './messages.js';

/** A client no device holds is reported at most this often (the scanner throttles rescans too). */
const UNKNOWN_CLIENT_REPORT_MS = 2_000;

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker) => port.postMessage(m);
const log = createLogger(init.logLevel).child({ thread: 'dns' });

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

let answers: AnswerEvent[] = [];
let queries: DnsQueryRecord[] = [];
let flushScheduled = false;
function flush() {
  flushScheduled = false;
  if (!answers.length && !queries.length) return;
  post({ type: 'events', answers, queries });
  answers = [];
  queries = [];
}
function schedule() {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}
const listener: DnsAnswerListener = {
  onAnswer(a) {
    answers.push(a);
    schedule();
  },
  onQuery(r) {
    queries.push(r);
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
        post({ type: 'stopped' });
        port.close();
      });
      break;
  }
});

server.start().then(
  () => post({ type: 'started', addresses: server.addresses() }),
  (err: unknown) => post({ type: 'failed', message: (err as Error).message }),
);
