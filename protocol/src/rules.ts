import { Type, type Static } from 'typebox';
import { BypassKind } from './catalog.js';

export const RuleAction = Type.Union([Type.Literal('block'), Type.Literal('allow')]);
export type RuleAction = Static<typeof RuleAction>;

const strict = { additionalProperties: false } as const;

export const RuleTarget = Type.Union(
  [
    Type.Object({ type: Type.Literal('internet') }, strict),
    Type.Object(
      { type: Type.Literal('service'), id: Type.String({ minLength: 1, maxLength: 64 }) },
      { ...strict, description: 'A service of GET /api/v1/catalog/services' },
    ),
    Type.Object(
      { type: Type.Literal('category'), id: Type.String({ minLength: 1, maxLength: 64 }) },
      { ...strict, description: 'A category of GET /api/v1/catalog/categories' },
    ),
    Type.Object(
      {
        type: Type.Literal('domain'),
        value: Type.String({
          minLength: 1,
          maxLength: 254,
          description:
            'A name and all its subdomains; stored lower-case without a trailing dot (IDNs as xn--)',
        }),
      },
      strict,
    ),
    Type.Object(
      {
        type: Type.Literal('app'),
        name: Type.String({
          minLength: 1,
          maxLength: 256,
          description:
            'An application as its agent names it (groupBy=app): executable or product name on a PC, ' +
            'package name on Android; compared without regard to case. Enforced by the agent on the device',
        }),
      },
      strict,
    ),
  ],
  { description: 'What the rule is about' },
);
export type RuleTarget = Static<typeof RuleTarget>;

export const RuleScope = Type.Union(
  [
    Type.Object({ type: Type.Literal('device'), id: Type.Integer({ minimum: 1 }) }, strict),
    Type.Object({ type: Type.Literal('all') }, strict),
  ],
  { description: 'Whom the rule is for' },
);
export type RuleScope = Static<typeof RuleScope>;

const Note = Type.Union([Type.String({ maxLength: 500 }), Type.Null()], {
  description: 'Free text for admins',
});

export const Rule = Type.Object({
  id: Type.Integer(),
  action: RuleAction,
  target: RuleTarget,
  scope: RuleScope,
  enabled: Type.Boolean(),
  note: Note,
  hits: Type.Number({ description: 'Queries answered blocked and flows dropped because of this rule' }),
  lastHitAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Rule = Static<typeof Rule>;

export const RuleList = Type.Array(Rule, { description: 'Oldest first' });

export const RuleCreate = Type.Object(
  {
    action: RuleAction,
    target: RuleTarget,
    scope: RuleScope,
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
    note: Type.Optional(Note),
  },
  strict,
);
export type RuleCreate = Static<typeof RuleCreate>;

export const RulePatch = Type.Object(
  {
    action: Type.Optional(RuleAction),
    target: Type.Optional(RuleTarget),
    scope: Type.Optional(RuleScope),
    enabled: Type.Optional(Type.Boolean()),
    note: Type.Optional(Note),
  },
  { ...strict, minProperties: 1 },
);
export type RulePatch = Static<typeof RulePatch>;

export const RuleParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type RuleParams = Static<typeof RuleParams>;

export const RuleListQuery = Type.Object({
  device: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'Only rules whose scope covers this device (its own and all-device rules, enabled or not)',
    }),
  ),
});
export type RuleListQuery = Static<typeof RuleListQuery>;

export const RuleExplainQuery = Type.Object({
  device: Type.Integer({ minimum: 0, description: 'Device id; 0 = a client no device is known for yet' }),
  domain: Type.String({ minLength: 1, maxLength: 254 }),
});
export type RuleExplainQuery = Static<typeof RuleExplainQuery>;

export const RuleSpecificity = Type.Object(
  {
    target: Type.Union([
      Type.Literal('domain'),
      Type.Literal('service'),
      Type.Literal('category'),
      Type.Literal('internet'),
      Type.Literal('app'),
    ]),
    length: Type.Integer({
      description: "Length of a domain rule's value (longer is more specific); else 0",
    }),
    scope: Type.Union([Type.Literal('device'), Type.Literal('all')]),
  },
  { description: 'Ordered by target, then length, then scope; allow beats block when all are equal' },
);
export type RuleSpecificity = Static<typeof RuleSpecificity>;

const NamedRef = Type.Object({ id: Type.String(), name: Type.String() });

export const RuleExplanation = Type.Object({
  deviceId: Type.Integer(),
  domain: Type.String({ description: 'The name as evaluated: lower-case, no trailing dot' }),
  decision: RuleAction,
  reason: Type.Union([Type.Literal('rule'), Type.Literal('bypass'), Type.Literal('default')], {
    description:
      "'rule': the first of matched decided; 'bypass': no rule matched and the name is a bypass endpoint; " +
      "'default': no rule matched, allowed",
  }),
  rule: Type.Union([Rule, Type.Null()], { description: 'The deciding rule (matched[0])' }),
  matched: Type.Array(Type.Object({ rule: Rule, specificity: RuleSpecificity }), {
    description: 'Every enabled rule for this device that matches the name, the winner first',
  }),
  service: Type.Union([NamedRef, Type.Null()]),
  category: Type.Union([NamedRef, Type.Null()]),
  bypass: Type.Union([BypassKind, Type.Null()], { description: "The name's list in the bypass catalogue" }),
  bypassPrevention: Type.Boolean({ description: 'Whether bypass prevention is on for the device' }),
});
export type RuleExplanation = Static<typeof RuleExplanation>;
