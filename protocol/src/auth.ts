import { Type, type Static } from 'typebox';

const strict = { additionalProperties: false } as const;

const roleSchema = (description: string) =>
  Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')], { description });

export const Role = roleSchema(
  "'viewer' reads; 'operator' also pauses devices and manages rules; 'admin' also manages users and settings",
);
export type Role = Static<typeof Role>;

const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Case-insensitive; stored lower-case: a-z 0-9 . _ - starting with a letter or digit',
});
const newPassword = (description = 'At least 10 characters') =>
  Type.String({ minLength: 1, maxLength: 1024, description });

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  strict,
);
export type LoginBody = Static<typeof LoginBody>;

export const LoginReply = Type.Object(
  {
    token: Type.String({
      description: 'Use as Authorization: Bearer <token>; the same session as the cookie',
    }),
    csrfToken: Type.String({
      description:
        'Send as the x-csrf-token header with every POST/PUT/PATCH/DELETE authenticated by the session ' +
        'cookie (also set as the readable pp_csrf cookie); Bearer requests need none',
    }),
    expiresAt: Type.String({ format: 'date-time' }),
    user: Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }),
  },
  { $id: 'LoginReply' },
);
export type LoginReply = Static<typeof LoginReply>;

export const Me = Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }, { $id: 'Me' });
export type Me = Static<typeof Me>;

export const SetupBody = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The one-time setup token the daemon printed at start (only while no user exists)',
    }),
    username: Username,
    password: newPassword(),
  },
  strict,
);
export type SetupBody = Static<typeof SetupBody>;

export const PasswordChange = Type.Object(
  {
    current: Type.String({ minLength: 1, maxLength: 1024 }),
    new: newPassword(),
  },
  strict,
);
export type PasswordChange = Static<typeof PasswordChange>;

export const User = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    role: Role,
    disabled: Type.Boolean({ description: 'A disabled user cannot log in; their sessions and tokens end' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User' },
);
export type User = Static<typeof User>;

export const UserList = Type.Array(User, { description: 'By username' });

export const UserCreate = Type.Object({ username: Username, password: newPassword(), role: Role }, strict);
export type UserCreate = Static<typeof UserCreate>;

export const UserPatch = Type.Object(
  {
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(
      newPassword("Resets the password (at least 10 characters); ends the user's sessions"),
    ),
  },
  { ...strict, minProperties: 1 },
);
export type UserPatch = Static<typeof UserPatch>;

export const UserParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type UserParams = Static<typeof UserParams>;

export const ApiToken = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    role: Role,
    userId: Type.Integer(),
    username: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'null = never',
    }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Updated at most once a minute',
    }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'ApiToken' },
);
export type ApiToken = Static<typeof ApiToken>;

export const ApiTokenList = Type.Array(ApiToken, { description: 'Newest first' });

export const ApiTokenCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: roleSchema("Ceiling: the token acts with the lower of this and its user's role; at most your own"),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Default: never' })),
  },
  strict,
);
export type ApiTokenCreate = Static<typeof ApiTokenCreate>;

export const ApiTokenCreated = Type.Object(
  {
    token: Type.String({ description: 'Shown once: use as Authorization: Bearer <token> (starts ppt_)' }),
    id: Type.Integer(),
    name: Type.String(),
    role: Role,
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ApiTokenCreated' },
);
export type ApiTokenCreated = Static<typeof ApiTokenCreated>;

export const ApiTokenListQuery = Type.Object({
  all: Type.Optional(Type.Boolean({ description: "Admins: everyone's tokens, not only your own" })),
});
export type ApiTokenListQuery = Static<typeof ApiTokenListQuery>;

export const ApiTokenParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type ApiTokenParams = Static<typeof ApiTokenParams>;
