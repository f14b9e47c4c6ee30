import { Type, type Static } from 'typebox';

export const AuditActor = Type.Object({
  type: Type.String({
    description: "'user' (a session), 'token' (a personal API token), 'agent', or 'anonymous'",
  }),
  id: Type.Union([Type.Integer(), Type.Null()], {
    description: 'User id for a session, token id for a token, agent id for an agent',
  }),
  name: Type.String({ description: 'The username (also for tokens); agent:<id> for agents' }),
});

export const AuditEntry = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: AuditActor,
    ip: Type.Union([Type.String(), Type.Null()], { description: 'Address the request came from' }),
    action: Type.String({ description: "What was done: 'rule.create', 'user.disable', …" }),
    targetType: Type.String({ description: "'rule', 'device', 'user', 'token', 'setting', 'agent', …" }),
    targetId: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown({
      description: 'The target before the change (null for a creation); never secrets',
    }),
    after: Type.Unknown({ description: 'The target after the change (null for a deletion); never secrets' }),
  },
  { $id: 'AuditEntry' },
);
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only this actor name' })),
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Only this target type' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'At or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Before' })),
  before: Type.Optional(Type.Integer({ minimum: 1, description: 'Page: entries older than this id' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 100' })),
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditList = Type.Object(
  {
    entries: Type.Array(AuditEntry, { description: 'Newest first' }),
    /** Pass as `before` for the next page; null at the end. */
    next: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'AuditList' },
);
export type AuditList = Static<typeof AuditList>;
