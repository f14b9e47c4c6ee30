/**
 * The live agent sockets, one per agent: a new connection of an agent replaces its old one.
 * Revoking an agent closes its socket at once and refuses it from then on, even a connection
 * whose credential was checked a moment before the revocation.
 */
import { AGENT_CLOSE } from '@packetpilot/protocol';
import type { Logger } from '../log.js';
import {
  AgentConnection,
  type AgentIdentity,
  type AgentReportSink,
  type AgentSocket,
  type ConnectionStats,
} from './connection.js';

const OPEN = 1;

export interface AgentHubOptions {
  log: Logger;
  now?: () => Date;
  /** Sent in welcome; agents send a heartbeat this often. Default 30. */
  heartbeatSeconds?: number;
  /** Silence before a socket is closed. Default 3.5 heartbeats: the third missed one, half late. */
  idleMs?: number;
  /** Minimum time between two last_seen_at writes per agent. Default 30 s. */
  touchEveryMs?: number;
  /** Writes last_seen_at. */
  touch?: (agentId: number, at: Date) => Promise<void>;
  /** Takes hello, flows and appUsage reports; without it they are counted and acknowledged. */
  reports?: AgentReportSink;
  /** The apps this agent must block (from the rules); without it, what sendPolicy last set. */
  policyFor?: (agent: AgentIdentity) => readonly string[];
}

export interface ConnectedAgent extends AgentIdentity {
  hello: AgentConnection['hello'];
  stats: ConnectionStats;
}

export class AgentHub {
  readonly #connections = new Map<number, AgentConnection>();
  readonly #policies = new Map<number, readonly string[]>();
  readonly #revoked = new Set<number>();
  readonly #options: ConstructorParameters<typeof AgentConnection>[2];
  readonly #policyFor: AgentHubOptions['policyFor'];
  /** The policy each connected agent was last sent, to send only changes. */
  readonly #sent = new Map<number, string>();

  constructor(options: AgentHubOptions) {
    this.#policyFor = options.policyFor;
    const heartbeatSeconds = options.heartbeatSeconds ?? 30;
    this.#options = {
      log: options.log.child({ module: 'agents' }),
      now: options.now ?? (() => new Date()),
      heartbeatSeconds,
      idleMs: options.idleMs ?? heartbeatSeconds * 3500,
      touchEveryMs: options.touchEveryMs ?? 30_000,
      ...(options.touch ? { touch: options.touch } : {}),
      ...(options.reports ? { reports: options.reports } : {}),
    };
  }

  /** Takes over an authenticated agent's socket: closes its older one, greets it. */
  attach(socket: AgentSocket, agent: AgentIdentity): void {
    if (this.#revoked.has(agent.agentId)) {
      socket.close(AGENT_CLOSE.revoked, 'agent revoked');
      return;
    }
    // Gone while its credential was being checked: its 'close' has fired already.
    if (socket.readyState !== OPEN) return;
    this.#connections.get(agent.agentId)?.close(AGENT_CLOSE.replaced, 'replaced by a newer connection');
    const connection = new AgentConnection(socket, agent, this.#options, (closed) => {
      if (this.#connections.get(agent.agentId) === closed) this.#connections.delete(agent.agentId);
    });
    this.#connections.set(agent.agentId, connection);
    const policy = this.#policyOf(agent);
    this.#sent.set(agent.agentId, JSON.stringify(policy));
    connection.start(policy);
    this.#options.log.info({ agentId: agent.agentId, deviceId: agent.deviceId }, 'agent connected');
  }

  isConnected(agentId: number): boolean {
    return this.#connections.get(agentId)?.open ?? false;
  }

  /** The agents connected right now, with their hello and counters. */
  connected(): ConnectedAgent[] {
    return [...this.#connections.values()]
      .filter((c) => c.open)
      .map((c) => ({ ...c.agent, hello: c.hello, stats: { ...c.stats } }));
  }

  /**
   * Sets the apps blocked for this agent and sends the policy if it is connected (true then);
   * otherwise it gets it when it connects. The whole list every time, never a delta.
   */
  sendPolicy(agentId: number, blockedApps: readonly string[]): boolean {
    this.#policies.set(agentId, [...blockedApps]);
    this.#sent.set(agentId, JSON.stringify(blockedApps));
    return this.#connections.get(agentId)?.send({ type: 'policy', blockedApps: [...blockedApps] }) ?? false;
  }

  /**
   * Recomputes every connected agent's policy (after a rule change) and sends those that changed;
   * returns how many were sent.
   */
  refreshPolicies(): number {
    let sent = 0;
    for (const connection of this.#connections.values()) {
      const policy = this.#policyOf(connection.agent);
      const text = JSON.stringify(policy);
      if (this.#sent.get(connection.agent.agentId) === text) continue;
      this.#sent.set(connection.agent.agentId, text);
      if (connection.send({ type: 'policy', blockedApps: [...policy] })) sent++;
    }
    return sent;
  }

  #policyOf(agent: AgentIdentity): readonly string[] {
    return this.#policyFor?.(agent) ?? this.#policies.get(agent.agentId) ?? [];
  }

  /** Refuses the agent from now on and closes its socket (4401). */
  revoke(agentId: number): void {
    this.#revoked.add(agentId);
    this.#policies.delete(agentId);
    this.#sent.delete(agentId);
    this.disconnect(agentId, AGENT_CLOSE.revoked, 'agent revoked');
  }

  /** Closes the agent's socket, if any; true if there was one. */
  disconnect(agentId: number, code: number, reason: string): boolean {
    const connection = this.#connections.get(agentId);
    if (!connection) return false;
    this.#connections.delete(agentId);
    connection.close(code, reason);
    return true;
  }

  /** Closes every socket (gateway shutdown). */
  closeAll(): void {
    for (const id of [...this.#connections.keys()]) this.disconnect(id, 1001, 'gateway shutting down');
  }
}
