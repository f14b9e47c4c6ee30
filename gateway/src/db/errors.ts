/**
 * The PostgreSQL SQLSTATE of an error (e.g. '23503' foreign key violation), looking through the
 * causes Drizzle wraps it in; the same for pg and PGlite.
 */
export function pgErrorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
