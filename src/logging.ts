/** Structured JSON logs (pino); the ticket id goes on every line about a task via child loggers. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.BACKSERV_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
