import { pino, type Logger } from 'pino';

export type { Logger };

/** Root logger; modules take `log.child({ module: 'netfilter' })`. Secrets never reach a log line. */
export function createLogger(level = process.env.PP_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: ['password', '*.password', 'token', '*.token', 'req.headers.authorization', 'req.headers.cookie'],
  });
}
