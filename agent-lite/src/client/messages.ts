/**
 * Gateway → agent frames checked against the protocol schemas: the agent acts only on messages
 * that are exactly what protocol/src/agents.ts says.
 */
import { Compile, type Validator } from 'typebox/compile';
import {
  AgentFlows,
  AgentHello,
  GatewayAck,
  GatewayError,
  GatewayPolicy,
  GatewayWelcome,
  type GatewayMessage,
} from '@packetpilot/protocol';

const validators: Record<GatewayMessage['type'], Validator> = {
  welcome: Compile(GatewayWelcome),
  ack: Compile(GatewayAck),
  policy: Compile(GatewayPolicy),
  error: Compile(GatewayError),
};

export type ParsedGatewayMessage = { ok: true; message: GatewayMessage } | { ok: false; reason: string };

export function parseGatewayMessage(text: string): ParsedGatewayMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return { ok: false, reason: `unknown message type ${String(JSON.stringify(type)).slice(0, 40)}` };
  }
  const validator = validators[type as GatewayMessage['type']];
  if (validator.Check(value)) return { ok: true, message: value as GatewayMessage };
  const first = validator.Errors(value)[0];
  return {
    ok: false,
    reason: `invalid ${type} message: ${first ? `${first.instancePath || '/'} ${first.message}` : 'schema'}`,
  };
}

const checkHello = Compile(AgentHello);
const checkFlows = Compile(AgentFlows);

/** What we send is checked too: a report the gateway would refuse is a bug here, not there. */
export function isValidHello(value: unknown): value is AgentHello {
  return checkHello.Check(value);
}

export function isValidFlows(value: unknown): value is AgentFlows {
  return checkFlows.Check(value);
}
