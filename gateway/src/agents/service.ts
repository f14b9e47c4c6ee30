/**
 * Agent enrollment and management: codes an admin hands out, the one-time exchange of a code for
 * an agent credential, the agents list and revocation. The HTTP layer stays thin around it.
 */
import type {
  Agent,
  AgentPlatform,
  EnrollBody,
  EnrollReply,
  Enrollment,
  EnrollmentCreate,
  EnrollmentCreated,
} from '@packetpilot/protocol';
import { AppError } from '../errors.js';
import { hashCode, newAgentSecret, newEnrollmentCode, sha256Hex } from './codes.js';
import type { AgentHub } from './hub.js';
import { enrollmentLinks } from './links.js';
import type { AgentRecord, AgentStore, EnrollmentRecord } from './store.js';

export const INVALID_CODE = 'invalid or expired enrollment code';

export interface AgentServiceOptions {
  store: AgentStore;
  hub: Pick<AgentHub, 'isConnected' | 'revoke'>;
  now?: () => Date;
  /** The device with this MAC, for agents that enroll from an address no device has. */
  deviceForMac?: (mac: string) => Promise<number | null>;
  random?: (n: number) => Buffer;
}

export interface EnrollFrom {
  /** The device whose address the request came from, if the caller knows one. */
  addressDeviceId: number | null;
}

export class AgentService {
  readonly #store: AgentStore;
  readonly #hub: AgentServiceOptions['hub'];
  readonly #now: () => Date;
  readonly #deviceForMac: AgentServiceOptions['deviceForMac'];
  readonly #random: AgentServiceOptions['random'];

  constructor(options: AgentServiceOptions) {
    this.#store = options.store;
    this.#hub = options.hub;
    this.#now = options.now ?? (() => new Date());
    this.#deviceForMac = options.deviceForMac;
    this.#random = options.random;
  }

  /** A new code; the code itself is in the reply only, the database keeps its hash. */
  async createEnrollment(
    input: EnrollmentCreate,
    by: { userId: number | null; gatewayBaseUrl: string },
  ): Promise<EnrollmentCreated> {
    const code = newEnrollmentCode(this.#random);
    const createdAt = this.#now();
    const record = await this.#store.createEnrollment({
      codeHash: hashCode(code)!,
      deviceId: input.deviceId ?? null,
      maxUses: input.maxUses ?? 1,
      createdBy: by.userId,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + (input.expiresInMinutes ?? 60) * 60_000),
    });
    return {
      id: record.id,
      code,
      deviceId: record.deviceId,
      maxUses: record.maxUses,
      expiresAt: record.expiresAt.toISOString(),
      ...enrollmentLinks(by.gatewayBaseUrl, code),
    };
  }

  async listEnrollments(): Promise<Enrollment[]> {
    const now = this.#now();
    return (await this.#store.listEnrollments()).map((r) => enrollmentView(r, now));
  }

  /** Revokes a code (again: a no-op); NOT_FOUND if there is none. */
  async revokeEnrollment(id: number): Promise<{ before: Enrollment; after: Enrollment }> {
    const now = this.#now();
    const changed = await this.#store.revokeEnrollment(id, now);
    if (!changed) throw new AppError('PP_E_NOT_FOUND', `no enrollment ${id}`);
    return { before: enrollmentView(changed.before, now), after: enrollmentView(changed.after, now) };
  }

  /**
   * Exchanges a code for an agent credential, at most `maxUses` times in all. The agent is bound to
   * the enrollment's device, else the device the request came from, else the device with one of
   * its MACs, else none. Every refusal is the same UNAUTHORIZED.
   */
  async enroll(input: EnrollBody, from: EnrollFrom): Promise<{ reply: EnrollReply; agent: Agent }> {
    const codeHash = hashCode(input.code);
    if (codeHash === null) throw new AppError('PP_E_UNAUTHORIZED', INVALID_CODE);
    const fallbackDeviceId = from.addressDeviceId ?? (await this.#deviceByMacs(input.macs ?? []));
    const secret = newAgentSecret(this.#random);
    const result = await this.#store.exchange({
      codeHash,
      at: this.#now(),
      secretHash: sha256Hex(secret),
      name: input.name ?? input.hostname ?? null,
      platform: input.platform,
      fallbackDeviceId,
    });
    if (!result) throw new AppError('PP_E_UNAUTHORIZED', INVALID_CODE);
    const { agent } = result;
    return {
      reply: { agentId: agent.id, secret, deviceId: agent.deviceId },
      agent: this.#agentView(agent),
    };
  }

  async list(): Promise<Agent[]> {
    return (await this.#store.listAgents()).map((a) => this.#agentView(a));
  }

  /** Revokes the agent: its credential stops working and its socket is closed now. */
  async revoke(id: number): Promise<{ before: Agent; after: Agent }> {
    const changed = await this.#store.revokeAgent(id, this.#now());
    if (!changed) throw new AppError('PP_E_NOT_FOUND', `no agent ${id}`);
    const before = this.#agentView(changed.before);
    this.#hub.revoke(id);
    return { before, after: this.#agentView(changed.after) };
  }

  async #deviceByMacs(macs: readonly string[]): Promise<number | null> {
    if (!this.#deviceForMac) return null;
    for (const mac of macs) {
      const id = await this.#deviceForMac(mac.toLowerCase().replaceAll('-', ':'));
      if (id !== null) return id;
    }
    return null;
  }

  #agentView(a: AgentRecord): Agent {
    return {
      id: a.id,
      name: a.name,
      platform: asPlatform(a.platform),
      deviceId: a.deviceId,
      createdAt: a.createdAt.toISOString(),
      lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
      connected: a.revokedAt === null && this.#hub.isConnected(a.id),
      revoked: a.revokedAt !== null,
    };
  }
}

export function enrollmentView(r: EnrollmentRecord, now: Date): Enrollment {
  const state =
    r.revokedAt !== null
      ? 'revoked'
      : r.uses >= r.maxUses
        ? 'used'
        : r.expiresAt.getTime() <= now.getTime()
          ? 'expired'
          : 'active';
  return {
    id: r.id,
    deviceId: r.deviceId,
    maxUses: r.maxUses,
    uses: r.uses,
    state,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    expiresAt: r.expiresAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}

const PLATFORMS: readonly string[] = ['linux', 'windows', 'macos', 'android'] satisfies AgentPlatform[];

function asPlatform(p: string | null): AgentPlatform | null {
  return p !== null && PLATFORMS.includes(p) ? (p as AgentPlatform) : null;
}
