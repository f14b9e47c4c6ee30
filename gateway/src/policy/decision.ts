/**
 * What the policy says about one (device, domain) pair. Shared by the DNS server (answers), the
 * enforcer (nft pairs, killed flows) and the explain API, so all three give the same reason.
 */
export type BlockReason = 'rule' | 'bypass';

export type Decision =
  | { action: 'allow'; ruleId: number | null }
  | { action: 'block'; ruleId: number | null; reason: BlockReason };

/** The hot-path view of the policy: synchronous, cached per (device, name) by the implementation. */
export interface DomainPolicy {
  /**
   * deviceId 0 = a client no device is known for yet (only scope "all" rules apply).
   * name: lower-case, no trailing dot.
   */
  decide(deviceId: number, name: string): Decision;
  /** Bumped on every rule or device-setting change; callers caching decisions compare it. */
  readonly generation: number;
}
