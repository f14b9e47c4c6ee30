/**
 * The resolver thread's logger: records go to the main thread, whose pino writes them. Loading
 * pino in the thread cost ~5 MB of RSS for a handful of lines a day.
 */
import type { Logger } from '../../log.js';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface LogRecord {
  level: LogLevel;
  bindings: Record<string, unknown>;
  obj: Record<string, unknown>;
  msg?: string;
}

/** Errors lose their prototype crossing threads; pino's err serializer wants these fields. */
function plain(v: unknown): unknown {
  if (!(v instanceof Error)) return v;
  const e = v as Error & { code?: unknown; cause?: unknown };
  return { type: e.name, message: e.message, stack: e.stack, code: e.code, cause: plain(e.cause) };
}

/**
 * A Logger for the thread's modules, which only call child() and the level methods (as
 * `log.warn(obj, msg)` or `log.warn(msg)`). Cast to pino's type: it implements that subset.
 */
export function threadLogger(
  level: string,
  send: (r: LogRecord) => void,
  bindings: Record<string, unknown> = {},
): Logger {
  const min = level in LEVELS ? LEVELS[level as LogLevel] : level === 'silent' ? Infinity : LEVELS.info;
  const emit =
    (lvl: LogLevel) =>
    (objOrMsg?: unknown, msg?: string): void => {
      if (LEVELS[lvl] < min) return;
      if (typeof objOrMsg === 'string') {
        send({ level: lvl, bindings, obj: {}, msg: objOrMsg });
        return;
      }
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries((objOrMsg ?? {}) as Record<string, unknown>)) obj[k] = plain(v);
      send({ level: lvl, bindings, obj, msg });
    };
  const logger = {
    level,
    child: (more: Record<string, unknown>) => threadLogger(level, send, { ...bindings, ...more }),
    isLevelEnabled: (l: string) => l in LEVELS && LEVELS[l as LogLevel] >= min,
    trace: emit('trace'),
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    fatal: emit('fatal'),
  };
  return logger as unknown as Logger;
}
