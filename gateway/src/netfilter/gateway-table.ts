import {
  Priority,
  accept,
  counter,
  ctMarkAdd,
  ctMarkField,
  ctMarkHas,
  ctMarkSetField,
  dnat,
  dport,
  drop,
  goto,
  iifname,
  inSet,
  jump,
  masquerade,
  match,
  nfproto,
  oifname,
  ret,
  rule,
  update,
  type ChainSpec,
  type NftFamily,
  type NftStmt,
  type Rule,
  type SetSpec,
  type TableSpec,
} from './table.js';
import type { NftCommand } from './elements.js';

export const GATEWAY_FAMILY = 'inet';
export const GATEWAY_TABLE = 'packetpilot';

/** Upload by device MAC (forwarded, LAN → elsewhere). */
export const SET_DEV_TX = 'dev_tx';
/** Download by device address (forwarded, elsewhere → LAN); the daemon maps address → MAC. */
export const SET_DEV_RX4 = 'dev_rx4';
export const SET_DEV_RX6 = 'dev_rx6';
/** Device ↔ gateway itself (DNS, UI, DHCP): sent by device MAC, received by device address. */
export const SET_LOCAL_TX = 'local_tx';
export const SET_LOCAL_RX4 = 'local_rx4';
export const SET_LOCAL_RX6 = 'local_rx6';

export const COUNTER_FWD_UP = 'fwd_up';
export const COUNTER_FWD_DOWN = 'fwd_down';
export const COUNTER_LAN_LAN = 'lan_lan';
export const COUNTER_WAN_LOCAL_IN = 'wan_local_in';
export const COUNTER_WAN_LOCAL_OUT = 'wan_local_out';

export const CHAIN_ACCT_FORWARD = 'acct_forward';
export const CHAIN_FROM_LAN = 'acct_from_lan';
export const CHAIN_TO_LAN = 'acct_to_lan';
export const CHAIN_ACCT_INPUT = 'acct_input';
export const CHAIN_ACCT_OUTPUT = 'acct_output';
export const CHAIN_POSTROUTING = 'postrouting';

// ---- policy (enforcement) ----

/** Per device, remote addresses learned from its own DNS answers for blocked names: (MAC . address). */
export const SET_BLOCK_PAIR4 = 'block_pair4';
export const SET_BLOCK_PAIR6 = 'block_pair6';
/** Addresses of explicitly allowed names, for devices whose internet is blocked: (MAC . address). */
export const SET_ALLOW_PAIR4 = 'allow_pair4';
export const SET_ALLOW_PAIR6 = 'allow_pair6';
/** Devices (MAC) without internet; DNS to the gateway is input, not forward, so it keeps working. */
export const SET_INTERNET_BLOCK = 'internet_block';
/** Devices (MAC) exempt from bypass prevention (DNS redirect, DoT/DoQ drop, DoH/VPN endpoints). */
export const SET_BYPASS_EXEMPT = 'bypass_exempt';
/** Learned addresses of DoH/VPN/proxy endpoints. */
export const SET_BYPASS_IP4 = 'bypass_ip4';
export const SET_BYPASS_IP6 = 'bypass_ip6';
/** Devices (MAC) whose QUIC (udp/443) is dropped so browsers fall back to TCP. */
export const SET_QUIC_BLOCK = 'quic_block';

export const CHAIN_POLICY_FORWARD = 'policy_forward';
export const CHAIN_POLICY_FROM_LAN = 'policy_from_lan';
export const CHAIN_POLICY_BYPASS = 'policy_bypass';
/** One rule: accept a flow already checked under the current policy generation. */
export const CHAIN_POLICY_GATE = 'policy_gate';
/** One rule: stamp the current generation on a flow the policy let through. */
export const CHAIN_POLICY_STAMP = 'policy_stamp';
export const CHAIN_DNS_REDIRECT = 'dns_redirect';

/**
 * Conntrack mark bit of a flow a block caught mid-stream. The drop rule that meets the device's
 * packet tags its flow, and the remote's packets of a tagged flow are dropped too: the flow stops
 * in both directions at the device's next packet (an ACK, microseconds away during a download),
 * not only once `conntrack -D` has run. One high bit, OR-ed in, so marks other tools set survive.
 */
export const CT_MARK_BLOCKED = 0x4000_0000;

/**
 * Conntrack mark bits holding the policy generation a flow was last checked under (1–4095; 0 =
 * never checked). The policy's set lookups cost every packet of a flow the same; once a flow has
 * passed them, its later packets only compare these bits with the current generation. Every change
 * to the policy sets writes a new generation (`policyGenerationCommands`, same batch), so each
 * flow is checked again at its next packet, as if the gate were not there.
 */
export const CT_MARK_POLICY_GENERATION = 0x0fff_0000;
const GENERATION_SHIFT = 16;
export const MAX_POLICY_GENERATION = CT_MARK_POLICY_GENERATION >>> GENERATION_SHIFT;

/** Before the accounting chains, so packets the policy drops are never counted as usage. */
export const POLICY_PRIORITY = Priority.filter;

/** After a policy chain at `filter` (0) so packets it drops are never counted. */
export const ACCOUNTING_PRIORITY = Priority.filter + 10;
const SET_SIZE = 65535;
const DNS_PORT = 53;
const DOT_PORT = 853;
const QUIC_PORT = 443;

export interface GatewayTableInput {
  lan: string;
  wan: string;
  /**
   * The gateway's own LAN addresses: DNS (tcp/udp 53) from non-exempt devices to any other
   * address is redirected to them. Without an address for a family no redirect is installed for
   * it; with addresses given, plain DNS of a family that has none is dropped instead (no bypass).
   */
  lanAddresses?: { ipv4?: string; ipv6?: string };
  /**
   * Fail-open DNS: while the gateway's resolver is not serving (starting, stopped, its database
   * unreachable), every LAN DNS packet — to the gateway's own address too — goes to these
   * upstream resolvers (port 53) instead, so clients keep resolving. Replaces the redirect above.
   */
  dnsFallback?: { ipv4?: string; ipv6?: string };
  /** The policy generation the gate starts with (default 1); see CT_MARK_POLICY_GENERATION. */
  policyGeneration?: number;
}

const deviceSet = (name: string, type: SetSpec['type']): SetSpec => ({
  name,
  type,
  flags: ['dynamic'],
  counter: true,
  size: SET_SIZE,
});

/**
 * The table the daemon owns. Counting happens in the forward path on the LAN side of NAT, each
 * direction once, IP-layer bytes (nft counts from the network header in inet hooks).
 *
 * Download is keyed by IP, not `ether daddr`: in the forward hook the MAC header is still the
 * one the packet arrived with (its daddr is the gateway's WAN NIC), the outgoing one does not
 * exist yet — verified in forward.lab.test.
 *
 * Each total counter sits in its own rule *before* the set update: when a set is full the
 * `update` statement breaks its rule, so a counter after it would undercount exactly when the
 * totals are needed to show the unattributed gap.
 */
export function buildGatewayTable({
  lan,
  wan,
  lanAddresses,
  dnsFallback,
  policyGeneration = 1,
}: GatewayTableInput): TableSpec {
  // One interface test routes each packet to the chain for its direction, so an upload passes
  // two name compares instead of twelve; `goto` (not `jump`) so nothing falls through.
  const forward: ChainSpec = {
    name: CHAIN_ACCT_FORWARD,
    hook: { type: 'filter', hook: 'forward', priority: ACCOUNTING_PRIORITY, policy: 'accept' },
    rules: [rule(iifname(lan), goto(CHAIN_FROM_LAN)), rule(oifname(lan), goto(CHAIN_TO_LAN))],
  };
  const fromLan: ChainSpec = {
    name: CHAIN_FROM_LAN,
    rules: [
      rule(oifname(lan), counter(COUNTER_LAN_LAN), ret()),
      rule(counter(COUNTER_FWD_UP)),
      rule(update(SET_DEV_TX, 'ether saddr')),
    ],
  };
  const toLan: ChainSpec = {
    name: CHAIN_TO_LAN,
    rules: [
      rule(counter(COUNTER_FWD_DOWN)),
      rule(update(SET_DEV_RX4, 'ip daddr')),
      rule(update(SET_DEV_RX6, 'ip6 daddr')),
    ],
  };
  const input: ChainSpec = {
    name: CHAIN_ACCT_INPUT,
    hook: { type: 'filter', hook: 'input', priority: ACCOUNTING_PRIORITY, policy: 'accept' },
    rules: [
      rule(iifname(lan), update(SET_LOCAL_TX, 'ether saddr')),
      rule(iifname(wan), counter(COUNTER_WAN_LOCAL_IN)),
    ],
  };
  const output: ChainSpec = {
    name: CHAIN_ACCT_OUTPUT,
    hook: { type: 'filter', hook: 'output', priority: ACCOUNTING_PRIORITY, policy: 'accept' },
    rules: [
      rule(oifname(lan), update(SET_LOCAL_RX4, 'ip daddr')),
      rule(oifname(lan), update(SET_LOCAL_RX6, 'ip6 daddr')),
      rule(oifname(wan), counter(COUNTER_WAN_LOCAL_OUT)),
    ],
  };
  const postrouting: ChainSpec = {
    name: CHAIN_POSTROUTING,
    hook: { type: 'nat', hook: 'postrouting', priority: Priority.srcnat, policy: 'accept' },
    rules: [rule(oifname(wan), masquerade())],
  };
  return {
    family: GATEWAY_FAMILY,
    name: GATEWAY_TABLE,
    sets: [
      deviceSet(SET_DEV_TX, 'ether_addr'),
      deviceSet(SET_DEV_RX4, 'ipv4_addr'),
      deviceSet(SET_DEV_RX6, 'ipv6_addr'),
      deviceSet(SET_LOCAL_TX, 'ether_addr'),
      deviceSet(SET_LOCAL_RX4, 'ipv4_addr'),
      deviceSet(SET_LOCAL_RX6, 'ipv6_addr'),
      ...policySets(),
    ],
    counters: [
      COUNTER_FWD_UP,
      COUNTER_FWD_DOWN,
      COUNTER_LAN_LAN,
      COUNTER_WAN_LOCAL_IN,
      COUNTER_WAN_LOCAL_OUT,
    ],
    chains: [
      fromLan,
      toLan,
      forward,
      input,
      output,
      postrouting,
      ...policyChains(lan, lanAddresses, dnsFallback, policyGeneration),
    ],
  };
}

/** Filled from userspace only (never from the packet path), each element may carry a timeout. */
const policySet = (name: string, type: SetSpec['type'], counted = false): SetSpec => ({
  name,
  type,
  flags: ['timeout'],
  ...(counted ? { counter: true } : {}),
  size: SET_SIZE,
});

function policySets(): SetSpec[] {
  return [
    policySet(SET_BLOCK_PAIR4, ['ether_addr', 'ipv4_addr'], true),
    policySet(SET_BLOCK_PAIR6, ['ether_addr', 'ipv6_addr'], true),
    policySet(SET_ALLOW_PAIR4, ['ether_addr', 'ipv4_addr']),
    policySet(SET_ALLOW_PAIR6, ['ether_addr', 'ipv6_addr']),
    policySet(SET_INTERNET_BLOCK, 'ether_addr'),
    policySet(SET_BYPASS_EXEMPT, 'ether_addr'),
    policySet(SET_BYPASS_IP4, 'ipv4_addr', true),
    policySet(SET_BYPASS_IP6, 'ipv6_addr', true),
    policySet(SET_QUIC_BLOCK, 'ether_addr'),
  ];
}

/**
 * Enforcement, in the forward path at `filter` (0) — before accounting (+10), so a dropped packet
 * is never counted — for packets from the LAN to elsewhere (LAN↔LAN hairpins are left alone).
 * Most specific first: a blocked pair drops, an allowed pair accepts (this chain only; accounting
 * still sees it), then the whole-internet block (both blocks tag the flow, CT_MARK_BLOCKED), bypass prevention for non-exempt devices, QUIC.
 * A flow already checked under the current generation skips all of it (`policy_gate`); one that
 * passes is stamped (`policy_stamp`). Allowed pairs are not stamped: they are checked every time.
 *
 * DNS redirect in prerouting at `dstnat`: a non-exempt device's DNS to any other address goes to
 * the gateway's resolver, so asking 8.8.8.8 is answered by the gateway. Only new connections pass
 * a nat chain: flows that were open before a device lost its exemption keep their destination.
 */
function policyChains(
  lan: string,
  lanAddresses: GatewayTableInput['lanAddresses'],
  dnsFallback: GatewayTableInput['dnsFallback'],
  generation: number,
): ChainSpec[] {
  const exempt = (op: '==' | '!='): NftStmt => inSet('ether saddr', SET_BYPASS_EXEMPT, op);
  const forward: ChainSpec = {
    name: CHAIN_POLICY_FORWARD,
    hook: { type: 'filter', hook: 'forward', priority: POLICY_PRIORITY, policy: 'accept' },
    rules: [
      rule(iifname(lan), oifname(lan, '!='), goto(CHAIN_POLICY_FROM_LAN)),
      rule(oifname(lan), ctMarkHas(CT_MARK_BLOCKED), drop()),
    ],
  };
  const fromLan: ChainSpec = {
    name: CHAIN_POLICY_FROM_LAN,
    rules: [
      rule(jump(CHAIN_POLICY_GATE)),
      rule(inSet(['ether saddr', 'ip daddr'], SET_BLOCK_PAIR4), ctMarkAdd(CT_MARK_BLOCKED), drop()),
      rule(inSet(['ether saddr', 'ip6 daddr'], SET_BLOCK_PAIR6), ctMarkAdd(CT_MARK_BLOCKED), drop()),
      rule(inSet(['ether saddr', 'ip daddr'], SET_ALLOW_PAIR4), accept()),
      rule(inSet(['ether saddr', 'ip6 daddr'], SET_ALLOW_PAIR6), accept()),
      rule(inSet('ether saddr', SET_INTERNET_BLOCK), ctMarkAdd(CT_MARK_BLOCKED), drop()),
      rule(exempt('!='), jump(CHAIN_POLICY_BYPASS)),
      rule(inSet('ether saddr', SET_QUIC_BLOCK), dport('udp', QUIC_PORT), drop()),
      rule(jump(CHAIN_POLICY_STAMP)),
    ],
  };
  const { gate, stamp } = generationRules(generation);
  const bypassRules: Rule[] = [
    rule(dport('tcp', DOT_PORT), drop()),
    rule(dport('udp', DOT_PORT), drop()),
    rule(inSet('ip daddr', SET_BYPASS_IP4), drop()),
    rule(inSet('ip6 daddr', SET_BYPASS_IP6), drop()),
  ];
  const redirect: Rule[] = [];
  if (dnsFallback) {
    const families = [
      { fam: 'ip', addr: dnsFallback.ipv4 },
      { fam: 'ip6', addr: dnsFallback.ipv6 },
    ] as const;
    for (const { fam, addr } of families) {
      if (addr === undefined) continue;
      for (const proto of ['udp', 'tcp'] as const) {
        redirect.push(
          rule(
            iifname(lan),
            nfproto(fam === 'ip' ? 'ipv4' : 'ipv6'),
            dport(proto, DNS_PORT),
            dnat(fam, addr),
          ),
        );
      }
    }
  } else if (lanAddresses) {
    const families = [
      { fam: 'ip', nf: 'ipv4', addr: lanAddresses.ipv4, daddr: 'ip daddr' },
      { fam: 'ip6', nf: 'ipv6', addr: lanAddresses.ipv6, daddr: 'ip6 daddr' },
    ] as const;
    for (const { fam, nf, addr, daddr } of families) {
      for (const proto of ['udp', 'tcp'] as const) {
        if (addr === undefined) {
          // Nowhere to redirect this family's DNS to: refuse it rather than let it bypass.
          bypassRules.push(rule(nfproto(nf), dport(proto, DNS_PORT), drop()));
          continue;
        }
        redirect.push(
          rule(iifname(lan), exempt('!='), match(daddr, addr, '!='), dport(proto, DNS_PORT), dnat(fam, addr)),
        );
      }
    }
  }
  const chains: ChainSpec[] = [
    fromLan,
    { name: CHAIN_POLICY_BYPASS, rules: bypassRules },
    { name: CHAIN_POLICY_GATE, rules: gate },
    { name: CHAIN_POLICY_STAMP, rules: stamp },
    forward,
  ];
  if (redirect.length) {
    chains.push({
      name: CHAIN_DNS_REDIRECT,
      hook: { type: 'nat', hook: 'prerouting', priority: Priority.dstnat, policy: 'accept' },
      rules: redirect,
    });
  }
  return chains;
}

function generationRules(generation: number): { gate: Rule[]; stamp: Rule[] } {
  if (!Number.isInteger(generation) || generation < 1 || generation > MAX_POLICY_GENERATION) {
    throw new RangeError(`policy generation must be 1–${MAX_POLICY_GENERATION}, got ${generation}`);
  }
  const value = generation << GENERATION_SHIFT;
  return {
    gate: [rule(ctMarkField(CT_MARK_POLICY_GENERATION, value), accept())],
    stamp: [rule(ctMarkSetField(CT_MARK_POLICY_GENERATION, value))],
  };
}

/**
 * Moves the gate to `generation`: every flow is checked again at its next packet. Sent in the same
 * batch as a change to the policy sets, so no packet meets the new sets behind the old gate.
 */
export function policyGenerationCommands(
  generation: number,
  table: { family: NftFamily; table: string } = { family: GATEWAY_FAMILY, table: GATEWAY_TABLE },
): NftCommand[] {
  const { gate, stamp } = generationRules(generation);
  const cmds: NftCommand[] = [];
  for (const [chain, rules] of [
    [CHAIN_POLICY_GATE, gate],
    [CHAIN_POLICY_STAMP, stamp],
  ] as const) {
    cmds.push({ flush: { chain: { ...table, name: chain } } });
    for (const r of rules) cmds.push({ add: { rule: { ...table, chain, expr: r.expr } } });
  }
  return cmds;
}

/**
 * The generation a daemon writes next: 1–4095 in turn, starting anywhere, so a restarted daemon
 * is unlikely to reuse the generation its predecessor stamped on flows that are still open.
 */
export class PolicyGeneration {
  #current: number;

  constructor(start = 1 + Math.floor(Math.random() * MAX_POLICY_GENERATION)) {
    this.#current = start;
  }

  get current(): number {
    return this.#current;
  }

  next(): number {
    this.#current = (this.#current % MAX_POLICY_GENERATION) + 1;
    return this.#current;
  }
}
