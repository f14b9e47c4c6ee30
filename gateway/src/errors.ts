/**
 * The error catalogue: a stable code, its HTTP status, and a message written for the user.
 * Replies never carry a raw exception; modules throw AppError and the API maps it.
 */
export const ERROR_STATUS = {
  PP_E_VALIDATION: 400,
  PP_E_BAD_JSON: 400,
  PP_E_UNAUTHORIZED: 401,
  PP_E_FORBIDDEN: 403,
  /** A cookie-authenticated change without the matching x-csrf-token header. */
  PP_E_CSRF: 403,
  PP_E_NOT_FOUND: 404,
  PP_E_CONFLICT: 409,
  PP_E_PAYLOAD_TOO_LARGE: 413,
  PP_E_UNSUPPORTED_MEDIA: 415,
  PP_E_RATE_LIMITED: 429,
  PP_E_INTERNAL: 500,
  PP_E_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}
