/** Structured JSON logs (pino); the ticket id goes on every line about a task via child loggers. */
import { pino, type Logger } from 'pino';
import { prettyDestination } from './logging-pretty.js';

export type { Logger };

export function createLogger(level = process.env.BACKSERV_LOG_LEVEL ?? 'info'): Logger {
  const options = { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  // Development: one readable line per record (requests as "GET /path 200 3 ms"); JSON otherwise.
  return process.env.NODE_ENV === 'development' ? pino(options, prettyDestination()) : pino(options);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
