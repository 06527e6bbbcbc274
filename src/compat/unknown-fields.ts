/**
 * Clients of the A1111 and OpenAI APIs send dozens of fields this server has no use for; they
 * are accepted and ignored, and each one is logged once (per route, at debug level) so an
 * operator can see what a client expected without a log line per request.
 */
import type { Logger } from '../infra/logging.js';

export class UnknownFields {
  private readonly seen = new Set<string>();

  constructor(private readonly log: Logger, private readonly limit = 1000) {}

  /** Logs the fields of `body` that are not in `known`, the first time each appears on `route`. */
  note(route: string, body: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const field of Object.keys(body)) {
      if (known.has(field)) continue;
      const key = `${route} ${field}`;
      // Bounded: a client inventing field names must not grow this set for ever.
      if (this.seen.has(key) || this.seen.size >= this.limit) continue;
      this.seen.add(key);
      this.log.debug({ route, field }, 'compat: ignoring a field this server does not use');
    }
  }
}
