/**
 * One agent's WebSocket: greets it, checks every frame against the protocol, acknowledges
 * reports, keeps last_seen_at fresh, and closes the socket when it goes quiet or keeps sending
 * garbage. Frames are handled one after another, so acks follow the order of the reports.
 */
import {
  AGENT_CLOSE,
  type AgentAppUsage,
  type AgentFlows,
  type AgentHello,
  type AgentMessage,
  type GatewayMessage,
} from '@packetpilot/protocol';
import type { Logger } from '../log.js';
import { parseAgentMessage } from './messages.js';

/** What of a `ws` WebSocket a connection uses (a fake in unit tests). */
export interface AgentSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface AgentIdentity {
  agentId: number;
  deviceId: number | null;
}

export type AgentReport = AgentHello | AgentFlows | AgentAppUsage;

/**
 * Thrown by a sink for a report that is wrong in itself (not a passing failure): it is
 * acknowledged, so the agent does not send it forever, and an error says why it was not kept.
 */
export class ReportRejected extends Error {
  override name = 'ReportRejected';
}

/** Where reports go once validated: PC agents' flows join conntrack, phones' app usage is stored. */
export interface AgentReportSink {
  /** Resolves once the report is kept; the agent gets its ack only then. Throwing refuses it. */
  ingest(agent: AgentIdentity, report: AgentReport): void | Promise<void>;
}

export interface ConnectionOptions {
  log: Logger;
  now: () => Date;
  heartbeatSeconds: number;
  /** Silence after which the socket is closed. */
  idleMs: number;
  /** Minimum time between two last_seen_at writes. */
  touchEveryMs: number;
  touch?: (agentId: number, at: Date) => Promise<void>;
  reports?: AgentReportSink;
}

const OPEN = 1;
/** A slow agent is dropped rather than buffered without bound. */
const MAX_BUFFERED = 1_000_000;
/** After close(), the peer has this long to finish the close handshake before the socket is cut. */
const CLOSE_GRACE_MS = 1000;

export interface ConnectionStats {
  messages: number;
  badMessages: number;
  flowsOpened: number;
  flowsClosed: number;
  appUsageReports: number;
}

export class AgentConnection {
  readonly stats: ConnectionStats = {
    messages: 0,
    badMessages: 0,
    flowsOpened: 0,
    flowsClosed: 0,
    appUsageReports: 0,
  };
  /** The agent's hello, once it sent one. */
  hello: AgentHello | null = null;
  readonly #log: Logger;
  #idle: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #lastTouch = -Infinity;
  #closing = false;

  constructor(
    readonly socket: AgentSocket,
    readonly agent: AgentIdentity,
    private readonly options: ConnectionOptions,
    onClosed: (connection: AgentConnection) => void,
  ) {
    this.#log = options.log.child({ agentId: agent.agentId });
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('close', () => {
      this.#stop();
      this.#touch(true);
      onClosed(this);
    });
    // ws reports an oversized frame (maxPayload) here, then closes with 1009
    socket.on('error', (err) => this.#log.warn({ err: err.message }, 'agent socket error: closing it'));
  }

  get open(): boolean {
    return !this.#closing && this.socket.readyState === OPEN;
  }

  /** Greets the agent: welcome, then its current policy. */
  start(blockedApps: readonly string[]): void {
    this.#armIdle();
    this.#touch(true);
    this.send({
      type: 'welcome',
      agentId: this.agent.agentId,
      deviceId: this.agent.deviceId,
      heartbeatSeconds: this.options.heartbeatSeconds,
    });
    this.send({ type: 'policy', blockedApps: [...blockedApps] });
  }

  send(message: GatewayMessage): boolean {
    if (!this.open) return false;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.close(1013, 'agent too slow');
      return false;
    }
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#stop();
    this.#log.info({ code, reason }, 'closing agent socket');
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  #receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closing) return;
    if (isBinary) return this.#bad('binary frames are not accepted: send JSON text frames');
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    const parsed = parseAgentMessage(bytes.toString('utf8'));
    if (!parsed.ok) return this.#bad(parsed.reason);
    this.stats.messages++;
    this.#armIdle();
    this.#touch(false);
    const message = parsed.message;
    this.#queue = this.#queue.then(() => this.#handle(message));
  }

  async #handle(message: AgentMessage): Promise<void> {
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'hello':
        this.hello = message;
        this.#log.info(
          { version: message.version, os: message.os, hostname: message.hostname },
          'agent hello',
        );
        await this.#ingest(message);
        return;
      case 'flows':
        this.stats.flowsOpened += message.opened.length;
        this.stats.flowsClosed += message.closed.length;
        if (await this.#ingest(message)) this.send({ type: 'ack', seq: message.seq });
        return;
      case 'appUsage':
        this.stats.appUsageReports++;
        if (await this.#ingest(message)) this.send({ type: 'ack', seq: message.seq });
        return;
    }
  }

  async #ingest(report: AgentReport): Promise<boolean> {
    if (!this.options.reports) return true;
    try {
      await this.options.reports.ingest(this.agent, report);
      return true;
    } catch (err) {
      if (err instanceof ReportRejected) {
        this.#log.warn({ reason: err.message, type: report.type }, 'agent report refused');
        this.send({ type: 'error', message: err.message });
        return true;
      }
      this.#log.warn({ err, type: report.type }, 'agent report not kept');
      this.send({
        type: 'error',
        message: `${report.type} not kept; send it again later`,
        ...('seq' in report ? { seq: report.seq } : {}),
      });
      return false;
    }
  }

  /**
   * An agent speaking out of protocol is closed at once: our agents never do, so it is a bug or
   * not our agent, and a reconnect starts it from a clean state. The error frame says why first.
   */
  #bad(reason: string): void {
    this.stats.badMessages++;
    this.#log.warn({ reason }, 'invalid agent message: closing the socket');
    this.send({ type: 'error', message: reason });
    // a close reason may hold at most 123 bytes
    this.close(AGENT_CLOSE.badMessages, `invalid message: ${reason}`.slice(0, 100));
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(AGENT_CLOSE.idle, 'no heartbeat'), this.options.idleMs);
    this.#idle.unref();
  }

  #stop(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  /** last_seen_at: at most every touchEveryMs, except on connect and disconnect. */
  #touch(force: boolean): void {
    const touch = this.options.touch;
    if (!touch) return;
    const at = this.options.now();
    if (!force && at.getTime() - this.#lastTouch < this.options.touchEveryMs) return;
    this.#lastTouch = at.getTime();
    touch(this.agent.agentId, at).catch((err: unknown) => this.#log.warn({ err }, 'update agent last seen'));
  }
}
