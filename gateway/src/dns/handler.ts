/**
 * Answering one query: parse → device → policy → cache → a patched copy of the cached bytes.
 * This is the hot path; a cache hit does one parse, three Map lookups, one copy and one send.
 * Misses go to the resolver and come back through deliver().
 */
import { performance } from 'node:perf_hooks';
import { blockAnswer, errorAnswer, fromAnswer, headerOnlyAnswer, maxUdpSize } from './answers.js';
import type { CacheEntry, DnsCache } from './cache.js';
import type { ClientDeviceCache, DecisionCache } from './decisions.js';
import { rcodeName, typeName } from './names.js';
import type { DnsCounters } from './options.js';
import type { Reporter } from './report.js';
import type { Answer } from './response.js';
import type { ReplyTarget } from './tcp.js';
import type { Decision, DnsSettings } from './types.js';
import * as w from './wire.js';

/** A cache miss waiting for the resolver; target null = a blocked name resolved only to learn its addresses. */
export interface Waiter {
  q: w.Query;
  address: string;
  port: number;
  target: ReplyTarget | null;
  at: number;
  t0: number;
  deviceId: number;
  decision: Decision;
}

export interface HandlerDeps {
  cache: DnsCache;
  devices: ClientDeviceCache;
  decisions: DecisionCache;
  report: Reporter;
  counters: DnsCounters;
  now: () => number;
  settings: () => DnsSettings;
  /** Hands a miss to the resolver, which later calls deliver(). */
  resolve: (q: w.Query, waiter: Waiter) => void;
  /** False once the server stops: late answers are dropped. */
  running: () => boolean;
}

const BLOCKED_A: readonly string[] = Object.freeze(['0.0.0.0']);
const BLOCKED_AAAA: readonly string[] = Object.freeze(['::']);
const NONE: readonly string[] = Object.freeze([]);
/** Decision reported for packets whose name could not be read: nothing was decided. */
const UNPARSED: Decision = Object.freeze({ action: 'allow', ruleId: null });

const sizeLimit = (q: w.Query, target: ReplyTarget): number =>
  target.transport === 'udp' ? maxUdpSize(q) : 65535;
const micros = (t0: number): number => ((performance.now() - t0) * 1000) | 0;
/** Whole seconds in the cache; 0 if the wall clock stepped back since the answer was stored. */
const ageOf = (e: CacheEntry, now: number): number =>
  now > e.storedAt ? ((now - e.storedAt) / 1000) | 0 : 0;

export class QueryHandler {
  readonly #d: HandlerDeps;

  constructor(deps: HandlerDeps) {
    this.#d = deps;
  }

  /** Returns false when the message is garbage (TCP then closes the connection). */
  handle(msg: Buffer, address: string, port: number, target: ReplyTarget, t0: number): boolean {
    const d = this.#d;
    const q = w.parseQuery(msg);
    if (typeof q === 'number') return this.#refuse(q, msg, address, port, target, t0);
    d.counters.queries++;
    const now = d.now();
    const deviceId = d.devices.deviceId(address, now);
    const decision = d.decisions.decide(deviceId, q.name);
    // ANY (RFC 8482 allows refusing it) and zone transfers get NOTIMP: nothing to amplify, and no
    // client on a home network needs them.
    if (q.qtype === w.TYPE_ANY || q.qtype === w.TYPE_AXFR || q.qtype === w.TYPE_IXFR) {
      this.#fail(q, w.RCODE_NOTIMP, { q, address, port, target, at: now, t0, deviceId, decision });
      return true;
    }
    if (decision.action === 'block') {
      this.#block(q, address, port, target, now, t0, deviceId, decision);
      return true;
    }
    const entry = d.cache.get(q.name, q.qtype, q.qclass, q.dnssecOk, now);
    if (entry === undefined) {
      d.counters.cacheMisses++;
      d.resolve(q, { q, address, port, target, at: now, t0, deviceId, decision });
      return true;
    }
    d.counters.cacheHits++;
    const a = entry.answer;
    const age = ageOf(entry, now);
    target.send(fromAnswer(a, q, age, sizeLimit(q, target)), address, port);
    if (a.addresses.length !== 0) {
      const ttl = a.addressTtl > age ? a.addressTtl - age : 0;
      d.report.answer(address, deviceId, q.name, a.addresses, ttl, decision);
    }
    const qtype = typeName(q.qtype);
    const rcode = rcodeName(a.rcode);
    d.report.query(
      now,
      address,
      deviceId,
      q.name,
      qtype,
      rcode,
      a.summary,
      decision,
      micros(t0),
      true,
      target.transport,
    );
    return true;
  }

  /** The resolver's answer for one waiter; null = every upstream failed. */
  deliver(wt: Waiter, a: Answer | null): void {
    const d = this.#d;
    const q = wt.q;
    if (wt.target === null) {
      // Background resolution of a blocked name: only the enforcer cares, with decision=block.
      if (a !== null && a.addresses.length !== 0) {
        d.report.answer(wt.address, wt.deviceId, q.name, a.addresses, a.addressTtl, wt.decision);
      }
      return;
    }
    if (!d.running()) return;
    if (a === null) {
      this.#fail(q, w.RCODE_SERVFAIL, wt);
      return;
    }
    wt.target.send(fromAnswer(a, q, 0, sizeLimit(q, wt.target)), wt.address, wt.port);
    if (a.addresses.length !== 0) {
      d.report.answer(wt.address, wt.deviceId, q.name, a.addresses, a.addressTtl, wt.decision);
    }
    const qtype = typeName(q.qtype);
    const rcode = rcodeName(a.rcode);
    const transport = wt.target.transport;
    d.report.query(
      wt.at,
      wt.address,
      wt.deviceId,
      q.name,
      qtype,
      rcode,
      a.summary,
      wt.decision,
      micros(wt.t0),
      false,
      transport,
    );
  }

  #block(
    q: w.Query,
    address: string,
    port: number,
    target: ReplyTarget,
    now: number,
    t0: number,
    deviceId: number,
    decision: Decision,
  ): void {
    const d = this.#d;
    d.counters.blocked++;
    const { blockMode, blockTtl } = d.settings();
    target.send(blockAnswer(q, blockMode, blockTtl), address, port);
    if (q.qtype === w.TYPE_A || q.qtype === w.TYPE_AAAA) {
      // The enforcer needs the real addresses to block cached and hard-coded IPs: from the cache
      // when known, else resolved in the background without delaying the block answer.
      const entry = d.cache.get(q.name, q.qtype, q.qclass, q.dnssecOk, now);
      if (entry === undefined) {
        d.resolve(q, { q, address, port, target: null, at: now, t0, deviceId, decision });
      } else if (entry.answer.addresses.length !== 0) {
        const a = entry.answer;
        const age = ageOf(entry, now);
        d.report.answer(address, deviceId, q.name, a.addresses, Math.max(a.addressTtl - age, 0), decision);
      }
    }
    const nx = blockMode === 'nxdomain';
    const answers = nx
      ? NONE
      : q.qtype === w.TYPE_A
        ? BLOCKED_A
        : q.qtype === w.TYPE_AAAA
          ? BLOCKED_AAAA
          : NONE;
    const rcode = nx ? 'NXDOMAIN' : 'NOERROR';
    const qtype = typeName(q.qtype);
    d.report.query(
      now,
      address,
      deviceId,
      q.name,
      qtype,
      rcode,
      answers,
      decision,
      micros(t0),
      false,
      target.transport,
    );
  }

  /** SERVFAIL / NOTIMP for a query whose question parsed. */
  #fail(q: w.Query, rcode: number, wt: Waiter): void {
    const target = wt.target!;
    target.send(errorAnswer(q, rcode), wt.address, wt.port);
    const qtype = typeName(q.qtype);
    const name = rcodeName(rcode);
    this.#d.report.query(
      wt.at,
      wt.address,
      wt.deviceId,
      q.name,
      qtype,
      name,
      NONE,
      wt.decision,
      micros(wt.t0),
      false,
      target.transport,
    );
  }

  /** Packets whose question did not parse: dropped, or FORMERR/NOTIMP with the header echoed. */
  #refuse(
    code: w.ParseFailure,
    msg: Buffer,
    address: string,
    port: number,
    target: ReplyTarget,
    t0: number,
  ): boolean {
    const d = this.#d;
    if (code === w.PARSE_DROP) {
      d.counters.dropped++;
      return false;
    }
    d.counters.queries++;
    const rcode = code === w.PARSE_FORMERR ? w.RCODE_FORMERR : w.RCODE_NOTIMP;
    if (rcode === w.RCODE_FORMERR) d.counters.formErr++;
    target.send(headerOnlyAnswer(msg, rcode), address, port);
    const at = d.now();
    const deviceId = d.devices.deviceId(address, at);
    const name = rcodeName(rcode);
    d.report.query(
      at,
      address,
      deviceId,
      '',
      'TYPE0',
      name,
      NONE,
      UNPARSED,
      micros(t0),
      false,
      target.transport,
    );
    return true;
  }
}
