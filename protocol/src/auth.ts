import { Type, type Static } from 'typebox';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('viewer')]);
export type Role = Static<typeof Role>;

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const LoginReply = Type.Object(
  {
    token: Type.String({
      description: 'Use as Authorization: Bearer <token>; the same session as the cookie',
    }),
    expiresAt: Type.String({ format: 'date-time' }),
    user: Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }),
  },
  { $id: 'LoginReply' },
);
export type LoginReply = Static<typeof LoginReply>;

export const Me = Type.Object({ id: Type.Integer(), username: Type.String(), role: Role }, { $id: 'Me' });
export type Me = Static<typeof Me>;
