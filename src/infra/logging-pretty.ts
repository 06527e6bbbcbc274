/**
 * Development log format (NODE_ENV=development): one readable line per pino record, so a person
 * watching a terminal sees `12:00:01 GET /query_task/:ticket_id 200 2.1 ms` instead of JSON.
 * No pino-pretty dependency: pino hands each record to `write` as one JSON line.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

export function formatLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  if (rec.msg === 'request' && typeof rec.method === 'string') {
    return `${time} ${rec.method} ${String(rec.path)} ${String(rec.status)} ${String(rec.ms)} ms`;
  }
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const fields = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)} ${String(rec.msg ?? '')}${fields ? ' ' + fields : ''}`;
}

export function prettyDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(formatLine(line) + '\n') };
}
