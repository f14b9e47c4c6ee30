import { Type, type Static } from 'typebox';

export const BlockReason = Type.Union([Type.Literal('rule'), Type.Literal('bypass')], {
  description: "'rule': an admin rule; 'bypass': bypass prevention's list of DoH/VPN/proxy endpoints",
});

export const DnsQuery = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    deviceId: Type.Integer({ description: '0 = a client no device is known for' }),
    client: Type.String({ description: 'Address the query came from' }),
    name: Type.String({ description: 'Name asked for, lower-case, no trailing dot' }),
    type: Type.String({ description: 'Query type: A, AAAA, HTTPS, …' }),
    rcode: Type.String({ description: 'NOERROR, NXDOMAIN, SERVFAIL, …' }),
    answer: Type.Array(Type.String(), { description: 'Answer addresses / targets (first few)' }),
    blocked: Type.Boolean(),
    ruleId: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The rule that blocked it (why blocked)',
    }),
    blockReason: Type.Union([BlockReason, Type.Null()]),
    latencyMs: Type.Number({ description: 'Time from query to answer' }),
    cached: Type.Boolean({ description: 'Answered from the cache' }),
  },
  { $id: 'DnsQuery' },
);
export type DnsQuery = Static<typeof DnsQuery>;

export const DnsQueriesQuery = Type.Object({
  device: Type.Optional(Type.Integer({ minimum: 0, description: 'Only this device (0 = unknown clients)' })),
  q: Type.Optional(Type.String({ maxLength: 253, description: 'Substring of the name' })),
  blocked: Type.Optional(Type.Boolean({ description: 'Only blocked (true) or only answered (false)' })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Page: entries older than this id' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
});
export type DnsQueriesQuery = Static<typeof DnsQueriesQuery>;

export const DnsQueryList = Type.Object(
  {
    queries: Type.Array(DnsQuery, { description: 'Newest first' }),
    /** Pass as `before` for the next page; null at the end. */
    next: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'DnsQueryList' },
);
export type DnsQueryList = Static<typeof DnsQueryList>;

export const TopDomainsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Default 24 h ago' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Default now' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 20' })),
});
export type TopDomainsQuery = Static<typeof TopDomainsQuery>;

export const TopDomains = Type.Object(
  {
    deviceId: Type.Integer(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    domains: Type.Array(
      Type.Object({ name: Type.String(), queries: Type.Integer(), blocked: Type.Integer() }),
      { description: 'Most asked first' },
    ),
  },
  { $id: 'TopDomains' },
);
export type TopDomains = Static<typeof TopDomains>;

export const DnsSettings = Type.Object(
  {
    upstreams: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1,
      maxItems: 8,
      description: "Upstream resolvers, tried in order: 'ADDR', 'ADDR:PORT' or '[V6]:PORT'",
    }),
    blockMode: Type.Union([Type.Literal('null'), Type.Literal('nxdomain')], {
      description: "Blocked names get 0.0.0.0 / :: ('null') or NXDOMAIN",
    }),
    blockTtl: Type.Integer({ minimum: 0, maximum: 86_400, description: 'TTL of a blocked answer, seconds' }),
    queryLogRetentionHours: Type.Integer({ minimum: 1, maximum: 24 * 90 }),
  },
  { $id: 'DnsSettings', additionalProperties: false },
);
export type DnsSettings = Static<typeof DnsSettings>;

export const DnsSettingsPatch = Type.Partial(DnsSettings, { additionalProperties: false });
export type DnsSettingsPatch = Static<typeof DnsSettingsPatch>;
