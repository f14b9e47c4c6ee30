/**
 * Typed description of an nftables table and a small builder for rule expressions.
 * The builder produces nft's JSON schema (the `expr` arrays of `nft -j`) directly, so what we
 * send is exactly what `nft -j list` prints back (modulo nft's own normalisations).
 */

export type NftFamily = 'inet';
export type SetKeyType = 'ether_addr' | 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'inet_proto' | 'ifname';
/**
 * 'dynamic' is accepted for readability but never sent: nft 1.0.6's JSON parser rejects it
 * ("Invalid set flag"), and the kernel marks a set dynamic by itself once a rule `update`s it.
 */
export type SetFlag = 'dynamic' | 'timeout' | 'interval' | 'constant';

export interface SetSpec {
  name: string;
  type: SetKeyType;
  flags?: SetFlag[];
  /** Per-element packet/byte counters. */
  counter?: boolean;
  size?: number;
  /** Default element timeout in seconds. */
  timeout?: number;
}

export type HookName = 'forward' | 'input' | 'output' | 'prerouting' | 'postrouting';

export interface ChainHook {
  type: 'filter' | 'nat';
  hook: HookName;
  priority: number;
  policy?: 'accept' | 'drop';
}

export interface ChainSpec {
  name: string;
  /** Absent for a regular chain (a jump target). */
  hook?: ChainHook;
  rules: Rule[];
}

export interface TableSpec {
  family: NftFamily;
  name: string;
  sets: SetSpec[];
  /** Named counters (`counter name "x"`). */
  counters: string[];
  chains: ChainSpec[];
}

/** Well-known priorities (nft's `filter`, `srcnat`, …) so specs read like nft text. */
export const Priority = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
} as const;

// ---- expression JSON (the subset we emit) ----

export type PayloadProto = 'ether' | 'ip' | 'ip6' | 'tcp' | 'udp' | 'th';
export interface NftPayload {
  payload: { protocol: PayloadProto; field: string };
}
export interface NftMeta {
  meta: { key: 'iifname' | 'oifname' | 'l4proto' | 'nfproto' | 'mark' };
}
export type NftLhs = NftPayload | NftMeta;
export type MatchOp = '==' | '!=';

export type NftStmt =
  | { match: { op: MatchOp; left: NftLhs; right: string | number } }
  | { set: { op: 'update' | 'add'; elem: NftLhs; set: string } }
  | { counter: string | { packets: number; bytes: number } }
  | { masquerade: null }
  | { accept: null }
  | { drop: null }
  | { return: null }
  | { jump: { target: string } }
  | { goto: { target: string } };

export interface Rule {
  expr: NftStmt[];
  comment?: string;
}

/** A packet field usable as a match's left side or as a set key. */
export type Field =
  | 'iifname'
  | 'oifname'
  | 'l4proto'
  | 'ether saddr'
  | 'ether daddr'
  | 'ip saddr'
  | 'ip daddr'
  | 'ip6 saddr'
  | 'ip6 daddr';

export function field(f: Field): NftLhs {
  if (f === 'iifname' || f === 'oifname' || f === 'l4proto') return { meta: { key: f } };
  const [protocol, name] = f.split(' ') as [PayloadProto, string];
  return { payload: { protocol, field: name } };
}

export function match(f: Field, value: string | number, op: MatchOp = '=='): NftStmt {
  return { match: { op, left: field(f), right: value } };
}

export const iifname = (name: string, op: MatchOp = '=='): NftStmt => match('iifname', name, op);
export const oifname = (name: string, op: MatchOp = '=='): NftStmt => match('oifname', name, op);
export const l4proto = (proto: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp', op: MatchOp = '=='): NftStmt =>
  match('l4proto', proto, op);

/** `tcp dport 53` / `udp dport 53`; nft adds the l4proto dependency itself. */
export function dport(proto: 'tcp' | 'udp', port: number, op: MatchOp = '=='): NftStmt {
  return { match: { op, left: { payload: { protocol: proto, field: 'dport' } }, right: port } };
}

/** `ip daddr @blocked` — membership in a named set. */
export function inSet(f: Field, setName: string, op: MatchOp = '=='): NftStmt {
  return { match: { op, left: field(f), right: `@${setName}` } };
}

/** `update @set { <field> }`: insert-or-refresh the element, bumping its counter. */
export function update(setName: string, key: Field): NftStmt {
  return { set: { op: 'update', elem: field(key), set: `@${setName}` } };
}

/** Named counter reference when a name is given, else an anonymous per-rule counter. */
export function counter(name?: string): NftStmt {
  return name === undefined ? { counter: { packets: 0, bytes: 0 } } : { counter: name };
}

export const masquerade = (): NftStmt => ({ masquerade: null });
export const accept = (): NftStmt => ({ accept: null });
export const drop = (): NftStmt => ({ drop: null });
export const ret = (): NftStmt => ({ return: null });
export const jump = (chain: string): NftStmt => ({ jump: { target: chain } });
export const goto = (chain: string): NftStmt => ({ goto: { target: chain } });

export function rule(...expr: NftStmt[]): Rule {
  return { expr };
}

export function commented(comment: string, ...expr: NftStmt[]): Rule {
  return { expr, comment };
}
