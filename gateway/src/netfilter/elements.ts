/**
 * Set element commands in nft's JSON schema, for batches that change a set's content without
 * touching the table's structure (the enforcer's hot path; `Nft.batch` sends them).
 */
import type { NftFamily } from './table.js';

export type NftCommand =
  { add: Record<string, unknown> } | { delete: Record<string, unknown> } | { flush: Record<string, unknown> };

export interface SetRef {
  family: NftFamily;
  table: string;
  /** The set's name. */
  name: string;
}

/** A plain key, or the parts of a concatenated key in the set's key order (`[mac, address]`). */
export type ElementKey = string | readonly string[];

export interface ElementSpec {
  key: ElementKey;
  /** Seconds; only for sets with the `timeout` flag. */
  timeout?: number;
  /**
   * Seconds left. Sent with the timeout so that re-adding an existing element restarts its
   * countdown (Linux ≥ 6.12 updates an existing element's expiry only when it is given).
   */
  expires?: number;
}

export function elementValue(key: ElementKey): unknown {
  return typeof key === 'string' ? key : { concat: [...key] };
}

function elementJson(e: ElementSpec): unknown {
  const val = elementValue(e.key);
  if (e.timeout === undefined && e.expires === undefined) return val;
  return {
    elem: {
      val,
      ...(e.timeout !== undefined ? { timeout: e.timeout } : {}),
      ...(e.expires !== undefined ? { expires: e.expires } : {}),
    },
  };
}

/** `add element`: creates missing elements; existing ones keep their counters. */
export function addElements(set: SetRef, elems: readonly ElementSpec[]): NftCommand {
  return { add: { element: { ...set, elem: elems.map(elementJson) } } };
}

/** `add element` with values exactly as a listing printed them (carrying elements over). */
export function addListedElements(set: SetRef, vals: readonly unknown[]): NftCommand {
  return { add: { element: { ...set, elem: [...vals] } } };
}

/** `delete element`: fails the whole batch when one element is missing; see `destroyElements`. */
export function deleteElements(set: SetRef, keys: readonly ElementKey[]): NftCommand {
  return { delete: { element: { ...set, elem: keys.map(elementValue) } } };
}

/**
 * Delete elements whether or not they exist. nft 1.0.6 has no `destroy` command (1.0.8+), so the
 * batch first adds them (a no-op for present ones) and then deletes them; both run in one
 * transaction, so no packet ever sees the added element.
 */
export function destroyElements(set: SetRef, keys: readonly ElementKey[]): NftCommand[] {
  if (keys.length === 0) return [];
  return [
    addElements(
      set,
      keys.map((key) => ({ key })),
    ),
    deleteElements(set, keys),
  ];
}

export function flushSet(set: SetRef): NftCommand {
  return { flush: { set: { ...set } } };
}
