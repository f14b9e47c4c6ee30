/**
 * Agent → gateway messages: one JSON text frame each, checked against the protocol schemas.
 * Pure functions, so every malformed input is a unit test away.
 */
import { Compile, type Validator } from 'typebox/compile';
import {
  AgentAppUsage,
  AgentFlows,
  AgentHeartbeat,
  AgentHello,
  type AgentMessage,
  type AgentMessageType,
} from '@packetpilot/protocol';

const validators: Record<AgentMessageType, Validator> = {
  hello: Compile(AgentHello),
  heartbeat: Compile(AgentHeartbeat),
  flows: Compile(AgentFlows),
  appUsage: Compile(AgentAppUsage),
};
const TYPES = Object.keys(validators).join(', ');

export type Parsed = { ok: true; message: AgentMessage } | { ok: false; reason: string };

/** A text frame → the message it carries, or why it is not one. */
export function parseAgentMessage(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'a message is a JSON object with a "type"' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return {
      ok: false,
      reason: `unknown message type ${clip(JSON.stringify(type) ?? 'undefined', 40)}; expected one of ${TYPES}`,
    };
  }
  const validator = validators[type as AgentMessageType];
  if (validator.Check(value)) return { ok: true, message: value as AgentMessage };
  return { ok: false, reason: `invalid ${type} message: ${describeErrors(validator, value)}` };
}

/** The most specific error: the deepest path; formats of one union said together. */
function describeErrors(validator: Validator, value: unknown): string {
  // "schema is false" (an additional property) is said better by its parent's error.
  const errors = validator.Errors(value).filter((e) => e.keyword !== 'boolean');
  const depth = Math.max(...errors.map((e) => e.instancePath.length));
  const here = errors.filter((e) => e.instancePath.length === depth);
  const first = here[0];
  if (!first) return 'does not match the schema';
  const path = first.instancePath || '/';
  const formats = here.flatMap((e) => (e.keyword === 'format' ? [e.params.format] : []));
  if (formats.length > 0) return clip(`${path} must match format ${formats.join(' or ')}`, 300);
  if (first.keyword === 'additionalProperties') {
    return clip(`${path} has unknown properties: ${first.params.additionalProperties.join(', ')}`, 300);
  }
  return clip(`${path} ${first.message}`, 300);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
