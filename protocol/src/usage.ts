import { Type, type Static } from 'typebox';

export const Bucket = Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], {
  description: 'Bucket size of the time series',
});
export type Bucket = Static<typeof Bucket>;

export const UsageGroupBy = Type.Union(
  [Type.Literal('service'), Type.Literal('category'), Type.Literal('domain'), Type.Literal('app')],
  {
    description:
      "Break the usage down by service, category, the domain the device asked for, or the app an agent on the device reported ('unattributed' = the rest of the device's total)",
  },
);
export type UsageGroupBy = Static<typeof UsageGroupBy>;

export const UsageQuery = Type.Object({
  from: Type.Optional(
    Type.String({ format: 'date-time', description: 'Start (inclusive); default 24 h ago' }),
  ),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive); default now' })),
  bucket: Type.Optional(Bucket),
  groupBy: Type.Optional(UsageGroupBy),
  app: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description:
        'With groupBy=service|category|domain: only the flows an agent said this app owns (its DNS names), as groupBy=app names it',
    }),
  ),
});
export type UsageQuery = Static<typeof UsageQuery>;

export const UsageGroup = Type.Object({
  id: Type.String({ description: "Service/category id or domain; 'unknown' for flows without DNS evidence" }),
  name: Type.String({ description: 'Display name' }),
  category: Type.Union([Type.String(), Type.Null()], { description: 'Category id of a service or domain' }),
  rxBytes: Type.Number(),
  txBytes: Type.Number(),
  flows: Type.Integer({ description: 'Flows that ended in the range' }),
});
export type UsageGroup = Static<typeof UsageGroup>;

export const UsageBreakdown = Type.Object(
  {
    deviceId: Type.Integer(),
    from: Type.String({ format: 'date-time', description: 'Hour-aligned start actually covered' }),
    to: Type.String({ format: 'date-time' }),
    groupBy: UsageGroupBy,
    groups: Type.Array(UsageGroup, { description: 'Largest first; unknown included, never dropped' }),
    rxBytes: Type.Number({ description: 'Sum over the groups (conntrack per-flow bytes)' }),
    txBytes: Type.Number({ description: 'Sum over the groups (conntrack per-flow bytes)' }),
    mobile: Type.Optional(
      Type.Object(
        {
          rxBytes: Type.Number(),
          txBytes: Type.Number(),
          apps: Type.Array(
            Type.Object({
              id: Type.String(),
              name: Type.String(),
              rxBytes: Type.Number(),
              txBytes: Type.Number(),
            }),
            { description: 'Largest first' },
          ),
        },
        {
          description:
            "groupBy=app on a phone with the Android agent: bytes its apps moved over mobile data, which the gateway never sees (not part of the groups or the device's total)",
        },
      ),
    ),
  },
  { $id: 'UsageBreakdown' },
);
export type UsageBreakdown = Static<typeof UsageBreakdown>;

export const UsagePoint = Type.Object({
  start: Type.String({ format: 'date-time' }),
  rxBytes: Type.Number(),
  txBytes: Type.Number(),
});
export type UsagePoint = Static<typeof UsagePoint>;

export const UsageSeries = Type.Object(
  {
    deviceId: Type.Integer(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    bucket: Bucket,
    points: Type.Array(UsagePoint),
    rxBytes: Type.Number({ description: 'Sum over the range' }),
    txBytes: Type.Number({ description: 'Sum over the range' }),
  },
  { $id: 'UsageSeries' },
);
export type UsageSeries = Static<typeof UsageSeries>;

export const SummaryQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type SummaryQuery = Static<typeof SummaryQuery>;

export const DeviceUsageTotal = Type.Object({
  deviceId: Type.Integer({ description: '0 = traffic no device could be attributed to' }),
  name: Type.Union([Type.String(), Type.Null()]),
  rxBytes: Type.Number(),
  txBytes: Type.Number(),
});

export const UsageSummary = Type.Object(
  {
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    devices: Type.Array(DeviceUsageTotal),
    unattributed: Type.Object({ rxBytes: Type.Number(), txBytes: Type.Number() }),
    gateway: Type.Object(
      { rxBytes: Type.Number(), txBytes: Type.Number() },
      { description: 'Traffic between devices and the gateway itself (DNS, UI), not internet usage' },
    ),
    lan: Type.Object(
      { rxBytes: Type.Number(), txBytes: Type.Number() },
      { description: 'LAN-to-LAN traffic routed by the gateway' },
    ),
  },
  { $id: 'UsageSummary' },
);
export type UsageSummary = Static<typeof UsageSummary>;

/** Frame pushed every second on WebSocket /api/v1/live. */
export const LiveRates = Type.Object(
  {
    type: Type.Literal('rates'),
    at: Type.String({ format: 'date-time' }),
    intervalMs: Type.Number(),
    devices: Type.Array(
      Type.Object({
        deviceId: Type.Integer(),
        rxBps: Type.Number({ description: 'Download, bytes per second' }),
        txBps: Type.Number({ description: 'Upload, bytes per second' }),
      }),
    ),
  },
  { $id: 'LiveRates' },
);
export type LiveRates = Static<typeof LiveRates>;

/** WebSocket close codes the gateway uses on /api/v1/live. */
export const LIVE_CLOSE = {
  /** The socket's session or token has ended (logout, expiry, user disabled, token revoked). */
  sessionEnded: 4401,
  /** The client read too slowly: frames piled up past the gateway's bound. */
  tooSlow: 1013,
} as const;

export const RemotesQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type RemotesQuery = Static<typeof RemotesQuery>;

export const RemoteUsage = Type.Object({
  remote: Type.String({ description: 'Remote address the device opened flows to' }),
  proto: Type.String({ description: 'tcp, udp, icmp, …' }),
  port: Type.Integer({ description: 'Remote port; 0 for protocols without ports' }),
  rxBytes: Type.Number(),
  txBytes: Type.Number(),
  flows: Type.Integer({ description: 'Flows that ended in the range' }),
});

export const RemoteList = Type.Object(
  {
    deviceId: Type.Integer(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    remotes: Type.Array(RemoteUsage),
  },
  {
    $id: 'RemoteList',
    description: 'Per-flow usage from conntrack, by hour; the breakdown, not the device total',
  },
);
export type RemoteList = Static<typeof RemoteList>;
