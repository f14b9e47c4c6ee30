/**
 * The agent protocol as one JSON Schema document (draft 2020-12), for agents not written in
 * TypeScript: the Android app's tests validate every message it builds or accepts against it.
 * TypeBox schemas are JSON Schema already; this only gathers them under `$defs`.
 * `protocol/schema/agent-messages.json` is this document, committed; a test fails when it is stale
 * (`npm run schema:agent` rewrites it).
 */
import {
  AgentAppUsage,
  AgentFlows,
  AgentHeartbeat,
  AgentHello,
  AgentMessage,
  EnrollBody,
  EnrollReply,
  GatewayAck,
  GatewayError,
  GatewayMessage,
  GatewayPolicy,
  GatewayWelcome,
} from './agents.js';

/** The schemas in the document, by the name they have in `$defs` (and in this package). */
export const AGENT_SCHEMAS = {
  EnrollBody,
  EnrollReply,
  AgentHello,
  AgentHeartbeat,
  AgentFlows,
  AgentAppUsage,
  AgentMessage,
  GatewayWelcome,
  GatewayAck,
  GatewayPolicy,
  GatewayError,
  GatewayMessage,
} as const;
export type AgentSchemaName = keyof typeof AGENT_SCHEMAS;

/** A plain copy without `$id` (a nested `$id` would start a new schema resource). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$id' ? undefined : value));
}

export function agentMessagesJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(AGENT_SCHEMAS)) defs[name] = plain(schema);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Packet Pilot agent protocol',
    description:
      'Generated from protocol/src/agents.ts by protocol/src/write-agent-schema.ts; do not edit. ' +
      'Enrollment (POST /api/v1/agents/enroll) and the messages of the WebSocket /api/v1/agent: ' +
      'Agent* from the agent, Gateway* from the gateway.',
    $defs: defs,
  };
}

/** The document as the committed file holds it. */
export function agentMessagesJsonSchemaText(): string {
  return JSON.stringify(agentMessagesJsonSchema(), null, 2) + '\n';
}
