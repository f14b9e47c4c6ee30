import { Type, type Static } from 'typebox';

/** Every error reply of the API has this shape. */
export const ErrorReply = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, PP_E_*' }),
      message: Type.String(),
    }),
  },
  { $id: 'ErrorReply' },
);
export type ErrorReply = Static<typeof ErrorReply>;
