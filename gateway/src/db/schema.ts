/**
 * The one Drizzle schema for PGlite and PostgreSQL. Changing it needs a migration:
 * `cd gateway && npx drizzle-kit generate --name <what_changed>` (a test fails otherwise).
 * Keep this file free of local imports: drizzle-kit loads it directly from source.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  inet,
  integer,
  jsonb,
  macaddr,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
// Byte counters stay far below 2^53 (9 PB), so plain numbers are safe and cheaper than bigint.
const int8 = (name: string) => bigint(name, { mode: 'number' });

export const devices = pgTable('devices', {
  id: serial('id').primaryKey(),
  mac: macaddr('mac').notNull().unique(),
  name: text('name'),
  hostname: text('hostname'),
  vendor: text('vendor'),
  firstSeen: tstz('first_seen').notNull(),
  lastSeen: tstz('last_seen').notNull(),
  /** Redirect the device's DNS to the gateway and drop DoT/DoH/VPN endpoints (on unless an admin says). */
  bypassPrevention: boolean('bypass_prevention').notNull().default(true),
  /** Drop UDP 443 so browsers fall back to TCP, where SNI and the nft sets see them. */
  blockQuic: boolean('block_quic').notNull().default(false),
});

export const deviceAddresses = pgTable(
  'device_addresses',
  {
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    address: inet('address').notNull(),
    lastSeen: tstz('last_seen').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.deviceId, t.address] }),
    index('device_addresses_address_idx').on(t.address),
  ],
);

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    // Stored lowercase instead of citext: PGlite would need an extension for citext.
    username: text('username').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    role: text('role').notNull(),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [check('users_username_lowercase', sql`${t.username} = lower(${t.username})`)],
);

export const sessions = pgTable(
  'sessions',
  {
    /** sha256 hex of the session token; the token itself is never stored. */
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: tstz('created_at').notNull(),
    expiresAt: tstz('expires_at').notNull(),
    lastUsedAt: tstz('last_used_at').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
);

/**
 * The three usage tiers share one shape. device_id 0 is the "unattributed" bucket, and there is
 * deliberately no foreign key: that bucket and deleted devices keep their history.
 * kind: 0 internet/forwarded, 1 to/from the gateway itself, 2 LAN↔LAN.
 */
function usageTier<N extends string>(name: N) {
  return pgTable(
    name,
    {
      bucketStart: tstz('bucket_start').notNull(),
      deviceId: integer('device_id').notNull(),
      kind: smallint('kind').notNull(),
      rxBytes: int8('rx_bytes').notNull(),
      txBytes: int8('tx_bytes').notNull(),
      rxPackets: int8('rx_packets').notNull(),
      txPackets: int8('tx_packets').notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.bucketStart, t.deviceId, t.kind] }),
      index(`${name}_device_idx`).on(t.deviceId, t.bucketStart),
    ],
  );
}

export const usageMinute = usageTier('usage_minute');
export const usageHour = usageTier('usage_hour');
export const usageDay = usageTier('usage_day');

/** The last kernel counter values already turned into usage (see UsageStore.commit). */
export const counterBaselines = pgTable('counter_baselines', {
  key: text('key').primaryKey(),
  packets: int8('packets').notNull(),
  bytes: int8('bytes').notNull(),
  updatedAt: tstz('updated_at').notNull(),
});

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
});

/**
 * Per-flow usage from conntrack, per local hour: which remote address, protocol and port each
 * device's bytes went to. The breakdown behind per-service usage; device totals stay with the
 * nft counters (usage_*). device_id 0 = flows from an address no device holds.
 */
export const flowUsageHour = pgTable(
  'flow_usage_hour',
  {
    bucketStart: tstz('bucket_start').notNull(),
    deviceId: integer('device_id').notNull(),
    remote: inet('remote').notNull(),
    proto: text('proto').notNull(),
    /** Remote port (tcp/udp/sctp); 0 where the protocol has none. */
    port: integer('port').notNull(),
    /**
     * The name the device asked for before opening the flow (its own DNS answers); '' when there
     * was no DNS evidence ("unknown"). Service and category come from the catalogue at read time.
     */
    domain: text('domain').notNull().default(''),
    /** The application an agent on the device said owns the flow's socket; '' = not reported. */
    app: text('app').notNull().default(''),
    rxBytes: int8('rx_bytes').notNull(),
    txBytes: int8('tx_bytes').notNull(),
    flows: integer('flows').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.bucketStart, t.deviceId, t.remote, t.proto, t.port, t.domain, t.app] }),
    index('flow_usage_hour_device_idx').on(t.deviceId, t.bucketStart),
  ],
);

/** Last-seen counters of live conntrack flows already turned into flow usage. */
export const flowBaselines = pgTable('flow_baselines', {
  key: text('key').primaryKey(),
  origBytes: int8('orig_bytes').notNull(),
  origPackets: int8('orig_packets').notNull(),
  replyBytes: int8('reply_bytes').notNull(),
  replyPackets: int8('reply_packets').notNull(),
  /** The flow's attribution, kept so a restart does not turn live flows into "unknown". */
  domain: text('domain').notNull().default(''),
  app: text('app').notNull().default(''),
  updatedAt: tstz('updated_at').notNull(),
});

/**
 * Admin rules. target_value: service/category id or domain; null for the internet.
 * scope_device_id null = all devices.
 */
export const rules = pgTable(
  'rules',
  {
    id: serial('id').primaryKey(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetValue: text('target_value'),
    scopeDeviceId: integer('scope_device_id').references(() => devices.id, { onDelete: 'cascade' }),
    enabled: boolean('enabled').notNull().default(true),
    note: text('note'),
    /** Queries answered blocked and flows dropped because of this rule. */
    hits: int8('hits').notNull().default(0),
    lastHitAt: tstz('last_hit_at'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('rules_action', sql`${t.action} in ('block', 'allow')`),
    check('rules_target_type', sql`${t.targetType} in ('internet', 'service', 'category', 'domain', 'app')`),
    check('rules_target_value', sql`(${t.targetType} = 'internet') = (${t.targetValue} is null)`),
  ],
);

/**
 * The DNS query log. rule_id: the rule that blocked the answer (kept when the rule is deleted, so
 * the log still says why); block_reason says 'rule' or 'bypass' (bypass prevention's catalogue).
 */
export const dnsQueries = pgTable(
  'dns_queries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: tstz('at').notNull(),
    deviceId: integer('device_id').notNull(),
    client: inet('client').notNull(),
    name: text('name').notNull(),
    qtype: text('qtype').notNull(),
    rcode: text('rcode').notNull(),
    /** Addresses / targets of the answer, comma-separated, at most a few. */
    answer: text('answer').notNull().default(''),
    ruleId: integer('rule_id'),
    blockReason: text('block_reason'),
    latencyUs: integer('latency_us').notNull(),
    cached: boolean('cached').notNull(),
  },
  (t) => [index('dns_queries_at_idx').on(t.at), index('dns_queries_device_idx').on(t.deviceId, t.at)],
);

/**
 * Personal API tokens. id is the sha256 hex of the secret (the secret itself is shown once);
 * role is a ceiling: the token acts with the lower of it and its user's role.
 */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    role: text('role').notNull(),
    createdAt: tstz('created_at').notNull(),
    expiresAt: tstz('expires_at'),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/**
 * Every change made through the API: who (actor), from where, what (before/after). Append-only:
 * the API has no route that changes or deletes a row.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: tstz('at').notNull(),
    /** 'user' | 'token' | 'agent' | 'system' */
    actorType: text('actor_type').notNull(),
    actorId: integer('actor_id'),
    actorName: text('actor_name').notNull(),
    ip: text('ip'),
    /** e.g. 'rule.create', 'user.disable' */
    action: text('action').notNull(),
    /** e.g. 'rule', 'user', 'device', 'token', 'setting', 'agent' */
    targetType: text('target_type').notNull(),
    targetId: text('target_id'),
    before: jsonb('before'),
    after: jsonb('after'),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_target_idx').on(t.targetType, t.at),
    index('audit_log_actor_idx').on(t.actorName, t.at),
  ],
);

/** Agent enrollment codes: short, expiring, usable `maxUses` times; stored hashed. */
export const agentEnrollments = pgTable('agent_enrollments', {
  id: serial('id').primaryKey(),
  codeHash: text('code_hash').notNull().unique(),
  /** The device the enrolled agent is bound to; null = the device the agent's address belongs to. */
  deviceId: integer('device_id').references(() => devices.id, { onDelete: 'cascade' }),
  maxUses: integer('max_uses').notNull(),
  uses: integer('uses').notNull().default(0),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: tstz('created_at').notNull(),
  expiresAt: tstz('expires_at').notNull(),
  revokedAt: tstz('revoked_at'),
});

/** Enrolled agents (PC agent-lite, Android app); secret stored hashed. */
export const agents = pgTable(
  'agents',
  {
    id: serial('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    deviceId: integer('device_id').references(() => devices.id, { onDelete: 'set null' }),
    enrollmentId: integer('enrollment_id').references(() => agentEnrollments.id, { onDelete: 'set null' }),
    name: text('name'),
    platform: text('platform'),
    createdAt: tstz('created_at').notNull(),
    lastSeenAt: tstz('last_seen_at'),
    revokedAt: tstz('revoked_at'),
  },
  (t) => [index('agents_device_idx').on(t.deviceId)],
);

/**
 * Per-app byte totals that phone agents read from the system (Android NetworkStatsManager), one
 * row per agent, app and platform period. A report replaces its row (set semantics), so a
 * replayed report, an app restart or a reboot never counts twice. Wi-Fi bytes went through the
 * gateway; mobile bytes never did and are shown apart.
 */
export const appUsagePeriods = pgTable(
  'app_usage_periods',
  {
    agentId: integer('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    /** The device the agent was bound to when it reported. */
    deviceId: integer('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    package: text('package').notNull(),
    label: text('label').notNull(),
    periodFrom: tstz('period_from').notNull(),
    periodTo: tstz('period_to').notNull(),
    wifiRxBytes: int8('wifi_rx_bytes').notNull(),
    wifiTxBytes: int8('wifi_tx_bytes').notNull(),
    mobileRxBytes: int8('mobile_rx_bytes').notNull(),
    mobileTxBytes: int8('mobile_tx_bytes').notNull(),
    updatedAt: tstz('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.package, t.periodFrom] }),
    index('app_usage_periods_device_idx').on(t.deviceId, t.periodFrom),
  ],
);
