import {
  Priority,
  counter,
  goto,
  iifname,
  masquerade,
  oifname,
  ret,
  rule,
  update,
  type ChainSpec,
  type SetSpec,
  type TableSpec,
} from './table.js';

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

/** After a policy chain at `filter` (0) so packets it drops are never counted. */
export const ACCOUNTING_PRIORITY = Priority.filter + 10;
const SET_SIZE = 65535;

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
export function buildGatewayTable({ lan, wan }: { lan: string; wan: string }): TableSpec {
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
    ],
    counters: [
      COUNTER_FWD_UP,
      COUNTER_FWD_DOWN,
      COUNTER_LAN_LAN,
      COUNTER_WAN_LOCAL_IN,
      COUNTER_WAN_LOCAL_OUT,
    ],
    chains: [fromLan, toLan, forward, input, output, postrouting],
  };
}
