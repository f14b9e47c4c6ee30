/**
 * Agents: enrollment (REST) and the agent WebSocket `/api/v1/agent` (messages both ways).
 *
 * Enrollment. An admin creates a code (`POST /api/v1/agents/enrollments`): 10 characters from
 * ENROLLMENT_CODE_ALPHABET shown as `XXXXX-XXXXX`; case, spaces and dashes do not matter when it is
 * typed back. The reply carries a QR code of the deep link
 *
 *   packetpilot://enroll?gateway=<url-encoded gateway base URL>&code=<code>
 *
 * e.g. `packetpilot://enroll?gateway=http%3A%2F%2F192.168.1.1%3A8080&code=ABCDE-FGHJK`; the Android
 * app reads `gateway` and `code` from it (see enrollDeepLink / parseEnrollDeepLink). The agent then
 * calls `POST <gateway>/api/v1/agents/enroll` once and keeps `agentId` and `secret`.
 *
 * Credential: every later request, including the WebSocket upgrade, carries
 * `Authorization: Agent <agentId>.<secret>`. A revoked agent's credential stops working at once and
 * its socket is closed with AGENT_CLOSE.revoked.
 *
 * WebSocket: one text frame = one JSON message with a `type`. The gateway sends `welcome` and the
 * current `policy` as soon as the socket opens; the agent sends `hello`, then a `heartbeat` every
 * `heartbeatSeconds`, and its reports (`flows`, `appUsage`), each acknowledged with `ack {seq}`. A
 * message that is not valid JSON or not one of AgentMessage gets an `error` reply saying why, and
 * the socket is closed (AGENT_CLOSE.badMessages); a frame over AGENT_MAX_FRAME_BYTES closes it with
 * 1009. Nothing heard for 3 heartbeats closes the socket (AGENT_CLOSE.idle).
 */
import { Type, type Static, type TSchema } from 'typebox';

const strict = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(t: T, description?: string) =>
  Type.Union([t, Type.Null()], description === undefined ? {} : { description });

// ---------------------------------------------------------------------------------------------
// Enrollment codes and links

/** No 0/O or 1/I: the code is read off a screen and typed. 32 symbols, 5 bits each. */
export const ENROLLMENT_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const ENROLLMENT_CODE_LENGTH = 10;
export const ENROLL_DEEP_LINK_SCHEME = 'packetpilot:';

/** `packetpilot://enroll?gateway=<base URL>&code=<code>`: what the enrollment QR code encodes. */
export function enrollDeepLink(gatewayBaseUrl: string, code: string): string {
  const q = new URLSearchParams({ gateway: gatewayBaseUrl.replace(/\/+$/, ''), code });
  return `${ENROLL_DEEP_LINK_SCHEME}//enroll?${q.toString()}`;
}

/** The gateway base URL and code of an enrollment deep link, or null if it is not one. */
export function parseEnrollDeepLink(link: string): { gateway: string; code: string } | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (url.protocol !== ENROLL_DEEP_LINK_SCHEME || url.host !== 'enroll') return null;
  const gateway = url.searchParams.get('gateway');
  const code = url.searchParams.get('code');
  if (!gateway || !code || !/^https?:\/\//.test(gateway)) return null;
  return { gateway, code };
}

export const AgentPlatform = Type.Union(
  [Type.Literal('linux'), Type.Literal('windows'), Type.Literal('macos'), Type.Literal('android')],
  { description: 'The operating system the agent runs on' },
);
export type AgentPlatform = Static<typeof AgentPlatform>;

export const EnrollmentCreate = Type.Object(
  {
    deviceId: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Bind the agent to this device; default: the device the agent enrolls from',
      }),
    ),
    maxUses: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'How many agents may use the code; default 1' }),
    ),
    expiresInMinutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, description: 'Default 60; at most 7 days' }),
    ),
  },
  strict,
);
export type EnrollmentCreate = Static<typeof EnrollmentCreate>;

export const EnrollmentState = Type.Union(
  [Type.Literal('active'), Type.Literal('used'), Type.Literal('expired'), Type.Literal('revoked')],
  { description: 'active = can still be exchanged' },
);
export type EnrollmentState = Static<typeof EnrollmentState>;

/** An enrollment code as listed: never the code itself (only its hash is stored). */
export const Enrollment = Type.Object(
  {
    id: Type.Integer(),
    deviceId: Nullable(
      Type.Integer(),
      'The device enrolled agents are bound to; null = where they enroll from',
    ),
    maxUses: Type.Integer(),
    uses: Type.Integer(),
    state: EnrollmentState,
    createdBy: Nullable(Type.Integer(), 'The admin user who created it'),
    createdAt: DateTime,
    expiresAt: DateTime,
    revokedAt: Nullable(DateTime),
  },
  { $id: 'Enrollment' },
);
export type Enrollment = Static<typeof Enrollment>;

export const EnrollmentList = Type.Array(Enrollment, { description: 'Newest first' });

export const EnrollmentCreated = Type.Object(
  {
    id: Type.Integer(),
    code: Type.String({ description: 'Shown once: XXXXX-XXXXX; case, spaces and dashes are ignored' }),
    deviceId: Nullable(Type.Integer()),
    maxUses: Type.Integer(),
    expiresAt: DateTime,
    url: Type.String({ description: '<gateway>/enroll?code=<code>, for people' }),
    deepLink: Type.String({
      description: 'packetpilot://enroll?gateway=<url-encoded gateway base URL>&code=<code>, for the app',
    }),
    qr: Type.Object(
      {
        svg: Type.String({ description: 'QR code of deepLink as an SVG document' }),
        pngBase64: Type.String({ description: 'The same QR code as a base64 PNG' }),
      },
      { description: 'QR code of deepLink' },
    ),
  },
  { $id: 'EnrollmentCreated' },
);
export type EnrollmentCreated = Static<typeof EnrollmentCreated>;

export const EnrollmentParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type EnrollmentParams = Static<typeof EnrollmentParams>;

const Mac = Type.String({
  pattern: '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$',
  description: 'aa:bb:cc:dd:ee:ff',
});

export const EnrollBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Default: hostname' })),
    platform: AgentPlatform,
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    macs: Type.Optional(
      Type.Array(Mac, {
        maxItems: 32,
        description: "The agent's interface MACs; bind to a known device when the address does not tell",
      }),
    ),
  },
  strict,
);
export type EnrollBody = Static<typeof EnrollBody>;

export const EnrollReply = Type.Object(
  {
    agentId: Type.Integer(),
    secret: Type.String({
      description: 'Shown once. Send `Authorization: Agent <agentId>.<secret>` from now on',
    }),
    deviceId: Nullable(Type.Integer(), 'The device the agent is bound to, if one was found'),
  },
  { $id: 'EnrollReply' },
);
export type EnrollReply = Static<typeof EnrollReply>;

export const Agent = Type.Object(
  {
    id: Type.Integer(),
    name: Nullable(Type.String()),
    platform: Nullable(AgentPlatform),
    deviceId: Nullable(Type.Integer()),
    createdAt: DateTime,
    lastSeenAt: Nullable(DateTime, 'Last time the agent was connected (updated every 30 s or so)'),
    connected: Type.Boolean({ description: 'Has an open WebSocket right now' }),
    revoked: Type.Boolean(),
  },
  { $id: 'Agent' },
);
export type Agent = Static<typeof Agent>;

export const AgentList = Type.Array(Agent, { description: 'Oldest first' });

export const AgentParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type AgentParams = Static<typeof AgentParams>;

// ---------------------------------------------------------------------------------------------
// WebSocket /api/v1/agent

/** WebSocket close codes the gateway uses on the agent socket. */
export const AGENT_CLOSE = {
  /** Credential missing, unknown or revoked: do not reconnect with it. */
  revoked: 4401,
  /** An invalid message (not JSON, not one of AgentMessage). */
  badMessages: 4400,
  /** No message for 3 heartbeat intervals. */
  idle: 4408,
  /** Another connection of the same agent took over. */
  replaced: 4409,
} as const;

/** The largest text frame the gateway accepts on the agent socket; agents split reports below it. */
export const AGENT_MAX_FRAME_BYTES = 64 * 1024;

const Seq = Type.Integer({ minimum: 0, description: 'Increases per report; acknowledged by ack' });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Address = Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })]);
const Text = (maxLength: number) => Type.String({ maxLength });
const Bytes = Type.Integer({ minimum: 0 });

/** One socket as the agent sees it: the agent's own address and port are `src`/`sport`. */
export const FlowTuple = Type.Object(
  {
    proto: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
    src: Address,
    sport: Port,
    dst: Address,
    dport: Port,
  },
  strict,
);
export type FlowTuple = Static<typeof FlowTuple>;

export const FlowApp = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256, description: 'Product/bundle name or executable' }),
    path: Type.Optional(Text(4096)),
    user: Type.Optional(Text(256)),
  },
  strict,
);

export const FlowOpened = Type.Object(
  { ...FlowTuple.properties, pid: Type.Optional(Type.Integer({ minimum: 0 })), app: FlowApp },
  strict,
);
export type FlowOpened = Static<typeof FlowOpened>;

export const AgentHello = Type.Object(
  {
    type: Type.Literal('hello'),
    version: Type.String({ minLength: 1, maxLength: 64, description: "The agent's own version" }),
    os: Type.String({ minLength: 1, maxLength: 128, description: 'e.g. "Windows 11 23H2", "Android 14"' }),
    hostname: Type.String({ maxLength: 253 }),
    interfaces: Type.Array(
      Type.Object({ name: Text(64), mac: Mac, addresses: Type.Array(Address, { maxItems: 64 }) }, strict),
      { maxItems: 64 },
    ),
    blocking: Type.Optional(
      Type.Union([Type.Literal('enforced'), Type.Literal('report-only'), Type.Literal('unavailable')], {
        description:
          'What the agent does with policy.blockedApps: enforced (Linux cgroup + nft, Windows firewall ' +
          'rules), report-only (macOS), unavailable (it would enforce but lacks the privileges or kernel support)',
      }),
    ),
    droppedReports: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          "Reports dropped from the agent's full on-disk buffer since it started; their flows stay unattributed",
      }),
    ),
  },
  strict,
);
export type AgentHello = Static<typeof AgentHello>;

export const AgentHeartbeat = Type.Object({ type: Type.Literal('heartbeat'), at: DateTime }, strict);
export type AgentHeartbeat = Static<typeof AgentHeartbeat>;

/** Sockets opened and closed since the last report (PC agents). */
export const AgentFlows = Type.Object(
  {
    type: Type.Literal('flows'),
    seq: Seq,
    at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the agent saw these changes (it closes a report within 250 ms); reports kept while the ' +
          'gateway was away arrive later than this',
      }),
    ),
    opened: Type.Array(FlowOpened, { maxItems: 2000 }),
    closed: Type.Array(FlowTuple, { maxItems: 2000 }),
  },
  strict,
);
export type AgentFlows = Static<typeof AgentFlows>;

/**
 * Per-app byte totals of one period from the system (Android NetworkStatsManager buckets).
 *
 * Set semantics, so nothing counts twice: the numbers are the period's totals so far, and a later
 * report of the same app and `period.from` replaces the earlier one (the gateway keys them by agent,
 * package and period start). A repeated or replayed report, an app restart or a reboot therefore
 * changes nothing; a period still running is simply reported again with larger totals.
 */
export const AgentAppUsage = Type.Object(
  {
    type: Type.Literal('appUsage'),
    seq: Seq,
    period: Type.Object(
      { from: DateTime, to: DateTime },
      {
        ...strict,
        description:
          "The platform's bucket (Android: 2-hour buckets aligned to the hour); from < to, at most 1 day long",
      },
    ),
    apps: Type.Array(
      Type.Object(
        {
          package: Type.String({
            minLength: 1,
            maxLength: 256,
            description: 'e.g. com.google.android.youtube',
          }),
          label: Text(256),
          wifiRxBytes: Bytes,
          wifiTxBytes: Bytes,
          mobileRxBytes: Bytes,
          mobileTxBytes: Bytes,
        },
        strict,
      ),
      { maxItems: 1000 },
    ),
  },
  strict,
);
export type AgentAppUsage = Static<typeof AgentAppUsage>;

/** Everything an agent may send. */
export const AgentMessage = Type.Union([AgentHello, AgentHeartbeat, AgentFlows, AgentAppUsage]);
export type AgentMessage = Static<typeof AgentMessage>;
export type AgentMessageType = AgentMessage['type'];

export const GatewayWelcome = Type.Object(
  {
    type: Type.Literal('welcome'),
    agentId: Type.Integer(),
    deviceId: Nullable(Type.Integer()),
    heartbeatSeconds: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export type GatewayWelcome = Static<typeof GatewayWelcome>;

export const GatewayAck = Type.Object({ type: Type.Literal('ack'), seq: Seq }, strict);
export type GatewayAck = Static<typeof GatewayAck>;

/** The whole policy for this agent (not a delta): apply it, keep it across restarts. */
export const GatewayPolicy = Type.Object(
  {
    type: Type.Literal('policy'),
    blockedApps: Type.Array(Type.String(), {
      description: 'App names (PC) or package names (Android) to block on this device',
    }),
  },
  strict,
);
export type GatewayPolicy = Static<typeof GatewayPolicy>;

export const GatewayError = Type.Object(
  {
    type: Type.Literal('error'),
    message: Type.String(),
    seq: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'The report this error is about, if it is about one: it was not kept, send it again later',
      }),
    ),
  },
  strict,
);
export type GatewayError = Static<typeof GatewayError>;

/** Everything the gateway may send. */
export const GatewayMessage = Type.Union([GatewayWelcome, GatewayAck, GatewayPolicy, GatewayError]);
export type GatewayMessage = Static<typeof GatewayMessage>;
