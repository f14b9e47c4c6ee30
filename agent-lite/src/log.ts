import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The agent's logger: JSON lines on stderr (journald, the Windows service wrapper and launchd keep
 * them), written synchronously so a failing CLI's last words are not lost. Secrets never reach a
 * line: the credential travels only in the WebSocket header and the state file.
 */
export function createLogger(level = process.env.PP_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'packetpilot-agent',
      level,
      redact: ['secret', '*.secret', 'code', '*.code', 'headers.authorization', '*.headers.authorization'],
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
