/**
 * The one error an input image can produce, whatever went wrong (bad URL, refused address, HTTP
 * failure, too large, undecodable). The API's error middleware maps it to 400 `invalid_image`;
 * the message is meant for the client, so it names the field and says what to change.
 */
export class InvalidImageError extends Error {
  readonly code = 'invalid_image' as const;
  readonly status = 400 as const;
  /** Safe to show to the client (koa's convention). */
  readonly expose = true as const;
  readonly field?: string;

  constructor(field: string | undefined, reason: string, options?: { cause?: unknown }) {
    super(field ? `${field}: ${reason}` : reason, options);
    this.name = 'InvalidImageError';
    if (field !== undefined) this.field = field;
  }
}
