import { Type, type Static } from 'typebox';

export const HealthWarning = Type.Object({
  code: Type.String(),
  severity: Type.Union([Type.Literal('warning'), Type.Literal('error')]),
  message: Type.String(),
  since: Type.String({ format: 'date-time' }),
});

export const Health = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    version: Type.String(),
    uptimeSeconds: Type.Number(),
    database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
    warnings: Type.Array(HealthWarning),
    memory: Type.Object(
      {
        rssBytes: Type.Number(),
        heapUsedBytes: Type.Number(),
        externalBytes: Type.Number({ description: 'Outside the JS heap: buffers and the embedded database' }),
      },
      { description: "The daemon's own memory" },
    ),
    accounting: Type.Object({
      lastSampleAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      wanGapPercent: Type.Union([Type.Number(), Type.Null()], {
        description: 'Gap between Σ devices + unattributed + gateway-own and the WAN interface counters',
      }),
    }),
  },
  { $id: 'Health' },
);
export type Health = Static<typeof Health>;
