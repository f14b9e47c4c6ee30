/**
 * The listener boundary: builds the records and guarantees that a throwing listener never
 * reaches the server. Errors are logged at exponentially spaced counts (1, 2, 4, 8…) so a
 * listener that always throws cannot flood the log, and no timer is needed for that.
 */
import type { Logger } from '../log.js';
import type { Decision, DnsAnswerListener } from './types.js';

export class Reporter {
  readonly #listener: DnsAnswerListener;
  readonly #log: Logger;
  #errors = 0;

  constructor(listener: DnsAnswerListener, log: Logger) {
    this.#listener = listener;
    this.#log = log;
  }

  answer(
    client: string,
    deviceId: number,
    name: string,
    addresses: readonly string[],
    ttl: number,
    decision: Decision,
  ): void {
    try {
      this.#listener.onAnswer({ client, deviceId, name, addresses, ttl, decision });
    } catch (err) {
      this.#failed('onAnswer', err);
    }
  }

  query(
    at: number,
    client: string,
    deviceId: number,
    name: string,
    qtype: string,
    rcode: string,
    answers: readonly string[],
    decision: Decision,
    latencyUs: number,
    cached: boolean,
    transport: 'udp' | 'tcp',
  ): void {
    try {
      this.#listener.onQuery({
        at,
        client,
        deviceId,
        name,
        qtype,
        rcode,
        // The record type says string[]; the array is shared with the cache and never mutated.
        answers: answers as string[],
        decision,
        latencyUs,
        cached,
        transport,
      });
    } catch (err) {
      this.#failed('onQuery', err);
    }
  }

  #failed(what: string, err: unknown): void {
    const n = ++this.#errors;
    if ((n & (n - 1)) === 0) this.#log.error({ err, count: n }, `dns: listener ${what} threw`);
  }
}
