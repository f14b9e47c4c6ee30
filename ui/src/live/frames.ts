/** Validation of what arrives on /api/v1/live, with the protocol's own schema. */
import { LiveRates } from '@packetpilot/protocol';
import { Check } from 'typebox/value';

export type LiveFrame =
  { kind: 'rates'; frame: LiveRates } | { kind: 'ignored' } | { kind: 'invalid'; why: string };

export function parseFrame(data: unknown): LiveFrame {
  if (typeof data !== 'string') return { kind: 'invalid', why: 'not a text frame' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: 'invalid', why: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'invalid', why: 'not an object' };
  // frame types this UI does not know yet (a newer gateway) are skipped, not errors
  if ((value as { type?: unknown }).type !== 'rates') return { kind: 'ignored' };
  if (!Check(LiveRates, value)) return { kind: 'invalid', why: 'rates frame does not match LiveRates' };
  return { kind: 'rates', frame: value };
}
