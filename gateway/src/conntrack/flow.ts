/** One direction of a conntrack entry, as `conntrack -o extended` prints it. */
export interface FlowTuple {
  src: string;
  dst: string;
  /** tcp/udp/sctp/… ports; absent for icmp. */
  sport?: number;
  dport?: number;
  /** icmp / icmpv6 */
  type?: number;
  code?: number;
  icmpId?: number;
  /** Present only with net.netfilter.nf_conntrack_acct=1 (set before the flow started). */
  packets?: number;
  bytes?: number;
}

export interface Flow {
  family: 'ipv4' | 'ipv6';
  proto: string;
  protoNum: number;
  /** Seconds until the entry expires. */
  timeout: number;
  /** TCP state (ESTABLISHED, TIME_WAIT, …); absent for stateless protocols. */
  state?: string;
  orig: FlowTuple;
  reply: FlowTuple;
  /** conntrack's entry id (`-o id`); unique among live entries, reused after destroy. */
  id?: number;
  mark?: number;
  zone?: number;
  unreplied: boolean;
  assured: boolean;
}

export type FlowEventType = 'NEW' | 'UPDATE' | 'DESTROY';

export interface FlowEvent {
  type: FlowEventType;
  /** Unix seconds (with microseconds) from `-o timestamp`. */
  timestamp?: number;
  flow: Flow;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; line: string };

/** Per-flow byte movement since the last time the tracker saw the flow. */
export interface FlowDelta {
  key: string;
  proto: string;
  origSrc: string;
  origDst: string;
  origSport?: number;
  origDport?: number;
  replySrc: string;
  replyDst: string;
  origBytes: number;
  origPackets: number;
  replyBytes: number;
  replyPackets: number;
  /** The flow is gone (DESTROY, or missing from a dump): no more deltas will follow. */
  closed: boolean;
  /**
   * A DESTROY that came after a dump had already closed this flow: only the bytes it moved after
   * the dump's last reading. The flow was counted as ended once already.
   */
  late?: true;
}
