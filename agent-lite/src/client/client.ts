/**
 * The agent's link to the gateway (`/api/v1/agent`): connects with the agent credential, answers
 * welcome with hello, sends a heartbeat every `heartbeatSeconds`, sends the outbox's reports and
 * forgets each on its ack, resends what was not acknowledged after a reconnect or a timeout, and
 * reconnects with back-off (1 s → 60 s, jittered), logging once per back-off step. A revoked
 * credential (close 4401, or 401 at the upgrade) stops it for good. Nothing here ever waits on the
 * gateway: reports pile up in the bounded outbox instead.
 */
import { AGENT_CLOSE, type AgentFlows, type AgentHello, type GatewayMessage } from '@packetpilot/protocol';
import type { Cancel, Clock } from '../os/clock.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../report/outbox.js';
import { Backoff } from './backoff.js';
import { isValidFlows, isValidHello, parseGatewayMessage } from './messages.js';
import type { ClientSocket, Connect } from './socket.js';

export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped' | 'revoked';

export interface GatewayClientOptions {
  /** ws(s)://<gateway>/api/v1/agent */
  url: string;
  credential: { agentId: number; secret: string };
  connect: Connect;
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  hello: () => AgentHello;
  onPolicy: (blockedApps: string[]) => void;
  onRevoked: (reason: string) => void;
  backoff?: Backoff;
  /** A report not acknowledged this long after it was sent is sent again. Default 30 s. */
  ackTimeoutMs?: number;
  /** Reports sent and not yet acknowledged, at most. Default 32. */
  maxInFlight?: number;
  /** No welcome this long after the socket opened: start over. Default 10 s. */
  welcomeTimeoutMs?: number;
  /** A connection that lasted this long resets the back-off. Default 30 s. */
  stableAfterMs?: number;
}

export type ClientStats = Record<'connects' | 'reportsSent' | 'acks' | 'resends', number>;

/** Stop feeding a socket whose send buffer holds this much (the gateway reads too slowly). */
const MAX_BUFFERED = 512 * 1024;
const TICK_MS = 5000;

type SocketEnd = { code?: number; status?: number; error?: string };

export class GatewayClient {
  readonly stats: ClientStats = { connects: 0, reportsSent: 0, acks: 0, resends: 0 };
  #state: ClientState = 'idle';
  #socket: ClientSocket | null = null;
  #attempt = 0;
  #timers: Cancel[] = [];
  #reconnect: Cancel | undefined;
  readonly #inflight = new Map<number, number>();
  #lastHeard = 0;
  #connectedAt = 0;
  #heartbeatMs = 30_000;
  #logged: { step: number; why: string } | undefined;
  readonly #backoff: Backoff;
  readonly #ackTimeoutMs: number;
  readonly #maxInFlight: number;

  constructor(private readonly o: GatewayClientOptions) {
    this.#backoff = o.backoff ?? new Backoff();
    this.#ackTimeoutMs = o.ackTimeoutMs ?? 30_000;
    this.#maxInFlight = o.maxInFlight ?? 32;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Reports sent and waiting for their ack. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  start(): void {
    if (this.#state === 'idle') this.#connect();
  }

  /** Queues a report: sent now if connected, else kept in the outbox until the gateway is back. */
  submit(report: AgentFlows): void {
    const seq = report.seq;
    if (!isValidFlows(report)) {
      this.o.log.error({ seq }, 'dropping a flows report that does not match the protocol');
      return;
    }
    this.o.outbox.add(report);
    this.#pump();
  }

  stop(): void {
    if (this.#state === 'stopped' || this.#state === 'revoked') return;
    this.#state = 'stopped';
    this.#reconnect?.();
    this.#clearTimers();
    this.#socket?.close(1000, 'agent stopping');
    this.#socket = null;
  }

  #connect(): void {
    this.#state = 'connecting';
    const attempt = ++this.#attempt;
    const current = () => attempt === this.#attempt && this.#socket !== null;
    let ended = false;
    let lastError: string | undefined;
    const end = (how: SocketEnd) => {
      if (ended || attempt !== this.#attempt) return;
      ended = true;
      this.#ended(how);
    };
    const { agentId, secret } = this.o.credential;
    this.#socket = this.o.connect(
      this.o.url,
      { authorization: `Agent ${agentId}.${secret}` },
      {
        open: () => {
          this.#lastHeard = this.o.clock.now();
          this.#every(this.o.welcomeTimeoutMs ?? 10_000, false, () => {
            if (current() && this.#state === 'connecting') {
              lastError = 'no welcome from the gateway';
              this.#socket?.terminate();
              end({ error: lastError });
            }
          });
        },
        message: (text) => {
          if (!current()) return;
          this.#lastHeard = this.o.clock.now();
          this.#receive(text);
        },
        pong: () => {
          this.#lastHeard = this.o.clock.now();
        },
        error: (err) => {
          lastError = (err as NodeJS.ErrnoException).code ?? err.message;
        },
        close: (code, reason) =>
          end({ code, error: lastError ?? `closed (${code}${reason ? ` ${reason}` : ''})` }),
        rejected: (status) => end({ status, error: `HTTP ${status} at the upgrade` }),
      },
    );
  }

  #receive(text: string): void {
    const parsed = parseGatewayMessage(text);
    if (!parsed.ok) {
      this.o.log.warn({ reason: parsed.reason }, 'ignoring a frame from the gateway');
      return;
    }
    this.#handle(parsed.message);
  }

  #handle(message: GatewayMessage): void {
    switch (message.type) {
      case 'welcome':
        return this.#welcomed(message.heartbeatSeconds, message.deviceId);
      case 'policy':
        this.o.onPolicy(message.blockedApps);
        return;
      case 'ack':
        this.#inflight.delete(message.seq);
        if (this.o.outbox.ack(message.seq)) this.stats.acks++;
        this.#pump();
        return;
      case 'error':
        if (message.seq !== undefined && this.#inflight.has(message.seq)) {
          // Not kept: send it again on the tick after next, not in a tight loop.
          this.#inflight.set(message.seq, this.o.clock.now() - this.#ackTimeoutMs + 2 * TICK_MS);
        }
        this.o.log.warn({ seq: message.seq, message: message.message }, 'gateway reported an error');
        return;
    }
  }

  #welcomed(heartbeatSeconds: number, deviceId: number | null): void {
    if (this.#state !== 'connecting') return;
    this.#clearTimers();
    this.#state = 'connected';
    this.#connectedAt = this.o.clock.now();
    this.#heartbeatMs = heartbeatSeconds * 1000;
    this.stats.connects++;
    this.o.log.info(
      { deviceId, heartbeatSeconds, waiting: this.o.outbox.size, after: this.#backoff.attempt },
      'connected to the gateway',
    );
    this.#logged = undefined;
    const hello = this.o.hello();
    if (isValidHello(hello)) this.#send(JSON.stringify(hello));
    else this.o.log.error({ hello }, 'hello does not match the protocol; not sent');
    this.#every(this.#heartbeatMs, true, () => this.#heartbeat());
    this.#every(TICK_MS, true, () => this.#tick());
    this.#pump();
  }

  #heartbeat(): void {
    const now = this.o.clock.now();
    if (now - this.#lastHeard > 2 * this.#heartbeatMs + TICK_MS) {
      this.#socket?.terminate();
      this.#ended({ error: 'gateway stopped answering (no pong)' });
      return;
    }
    this.#send(JSON.stringify({ type: 'heartbeat', at: new Date(now).toISOString() }));
    this.#socket?.ping();
  }

  /** Reports whose ack is overdue are sent again (same seq: the gateway keeps each seq once). */
  #tick(): void {
    const now = this.o.clock.now();
    for (const [seq, sentAt] of this.#inflight) {
      if (now - sentAt < this.#ackTimeoutMs) continue;
      this.#inflight.delete(seq);
      this.stats.resends++;
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#state !== 'connected' || !this.#socket) return;
    const now = this.o.clock.now();
    for (const entry of this.o.outbox.entries()) {
      if (this.#inflight.size >= this.#maxInFlight) break;
      if (this.#socket.bufferedAmount > MAX_BUFFERED) break;
      if (this.#inflight.has(entry.seq)) continue;
      this.#inflight.set(entry.seq, now);
      this.#send(entry.json);
      this.stats.reportsSent++;
    }
  }

  #send(text: string): void {
    try {
      this.#socket?.send(text);
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'send failed; the close event follows');
    }
  }

  #ended(how: SocketEnd): void {
    const wasConnected = this.#state === 'connected';
    this.#attempt++; // late events of this socket are ignored from now on
    this.#clearTimers();
    this.#socket = null;
    this.#inflight.clear();
    if (this.#state === 'stopped' || this.#state === 'revoked') return;
    if (how.code === AGENT_CLOSE.revoked || how.status === 401) {
      this.#state = 'revoked';
      const reason = `the gateway refused this agent's credential (${how.error ?? 'revoked'}): it was revoked`;
      this.o.log.error(reason);
      this.o.onRevoked(reason);
      return;
    }
    if (how.code === AGENT_CLOSE.replaced) {
      this.o.log.warn('another process connected with this agent credential and replaced this one');
    }
    const now = this.o.clock.now();
    if (wasConnected && now - this.#connectedAt >= (this.o.stableAfterMs ?? 30_000)) this.#backoff.reset();
    const step = this.#backoff.stepMs;
    const delay = this.#backoff.next();
    const why = how.error ?? `closed (${how.code ?? '?'})`;
    this.#state = 'waiting';
    if (this.#logged?.step !== step || this.#logged.why !== why) {
      this.#logged = { step, why };
      this.o.log.warn(
        { url: this.o.url, retryInMs: delay, waiting: this.o.outbox.size },
        `gateway ${wasConnected ? 'connection lost' : 'unreachable'}: ${why}; retrying in ${Math.round(delay / 1000)} s`,
      );
    }
    this.#reconnect = this.o.clock.after(delay, () => {
      this.#reconnect = undefined;
      if (this.#state === 'waiting') this.#connect();
    });
  }

  /** A timer that lasts as long as this connection; `repeat` re-arms it after each call. */
  #every(ms: number, repeat: boolean, fn: () => void): void {
    let cancel: Cancel;
    const arm = () => {
      cancel = this.o.clock.after(ms, () => {
        this.#timers = this.#timers.filter((c) => c !== cancel);
        if (repeat) arm();
        fn();
      });
      this.#timers.push(cancel);
    };
    arm();
  }

  #clearTimers(): void {
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
  }
}
