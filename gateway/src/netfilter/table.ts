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

/** A plain key type, or a concatenation (`ether_addr . ipv4_addr`) given as its parts in order. */
export type SetKeyTypes = SetKeyType | readonly SetKeyType[];

/** The key type as nft prints it in text (`ether_addr . ipv4_addr`); how listings are compared. */
export function keyTypeText(type: SetKeyTypes): string {
  return typeof type === 'string' ? type : type.join(' . ');
}

export interface SetSpec {
  name: string;
  type: SetKeyTypes;
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
/** `ether saddr . ip daddr`: the parts of a concatenated key, in the set's key order. */
export interface NftConcat {
  concat: Array<NftPayload | NftMeta>;
}
/** `ct mark & BITS`: the conntrack entry's mark, masked. */
export interface NftCtMarkBits {
  '&': [{ ct: { key: 'mark' } }, number];
}
export type NftLhs = NftPayload | NftMeta | NftConcat | NftCtMarkBits;
export type MatchOp = '==' | '!=';

export type NftStmt =
  | { match: { op: MatchOp; left: NftLhs; right: string | number } }
  | { set: { op: 'update' | 'add'; elem: NftLhs; set: string } }
  | { counter: string | { packets: number; bytes: number } }
  | {
      mangle: {
        key: { ct: { key: 'mark' } };
        value: { '|': [{ ct: { key: 'mark' } } | NftCtMarkBits, number] };
      };
    }
  | { masquerade: null }
  | { dnat: { family: 'ip' | 'ip6'; addr: string } }
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

function single(f: Field): NftPayload | NftMeta {
  if (f === 'iifname' || f === 'oifname' || f === 'l4proto') return { meta: { key: f } };
  const [protocol, name] = f.split(' ') as [PayloadProto, string];
  return { payload: { protocol, field: name } };
}

/** One field, or several as a concatenation (`['ether saddr', 'ip daddr']`). */
export function field(f: Field | readonly Field[]): NftLhs {
  return typeof f === 'string' ? single(f) : { concat: f.map(single) };
}

export function match(f: Field, value: string | number, op: MatchOp = '=='): NftStmt {
  return { match: { op, left: field(f), right: value } };
}

/** `meta nfproto ipv6`: restricts an inet-family rule to one address family. */
export function nfproto(family: 'ipv4' | 'ipv6'): NftStmt {
  return { match: { op: '==', left: { meta: { key: 'nfproto' } }, right: family } };
}

export const iifname = (name: string, op: MatchOp = '=='): NftStmt => match('iifname', name, op);
export const oifname = (name: string, op: MatchOp = '=='): NftStmt => match('oifname', name, op);
export const l4proto = (proto: 'tcp' | 'udp' | 'icmp' | 'ipv6-icmp', op: MatchOp = '=='): NftStmt =>
  match('l4proto', proto, op);

/** `tcp dport 53` / `udp dport 53`; nft adds the l4proto dependency itself. */
export function dport(proto: 'tcp' | 'udp', port: number, op: MatchOp = '=='): NftStmt {
  return { match: { op, left: { payload: { protocol: proto, field: 'dport' } }, right: port } };
}

/**
 * `ip daddr @blocked` — membership in a named set; with several fields the key is their
 * concatenation (`ether saddr . ip daddr @pairs`). `!=` is "not in the set".
 */
export function inSet(f: Field | readonly Field[], setName: string, op: MatchOp = '=='): NftStmt {
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

/** `ct mark`, as nft's JSON spells it; a fresh object each time, as every statement owns its parts. */
const ctMark = (): { ct: { key: 'mark' } } => ({ ct: { key: 'mark' } });
/** `ct mark & BITS` */
const ctMarkBits = (bits: number): NftCtMarkBits => ({ '&': [ctMark(), bits] });

/** `ct mark & BITS != 0`: the packet's flow carries these mark bits. */
export function ctMarkHas(bits: number): NftStmt {
  return { match: { op: '!=', left: ctMarkBits(bits), right: 0 } };
}

/** `ct mark set ct mark | BITS`: tags the packet's flow, keeping mark bits other tools use. */
export function ctMarkAdd(bits: number): NftStmt {
  return { mangle: { key: ctMark(), value: { '|': [ctMark(), bits] } } };
}

/** `ct mark & MASK == VALUE`: the flow's mark carries VALUE in the MASK bits. */
export function ctMarkField(mask: number, value: number): NftStmt {
  return { match: { op: '==', left: ctMarkBits(mask), right: value } };
}

/** `ct mark set ct mark & ~MASK | VALUE`: writes VALUE into the MASK bits, keeping the others. */
export function ctMarkSetField(mask: number, value: number): NftStmt {
  // VALUE's own bits are kept in the AND mask too: the same result, in the form nft lists back.
  const keep = (~mask | value) >>> 0;
  return { mangle: { key: ctMark(), value: { '|': [ctMarkBits(keep), value] } } };
}

export const masquerade = (): NftStmt => ({ masquerade: null });
/** `dnat ip to ADDR` / `dnat ip6 to ADDR` (inet tables need the family; the port is kept). */
export const dnat = (family: 'ip' | 'ip6', addr: string): NftStmt => ({ dnat: { family, addr } });
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
