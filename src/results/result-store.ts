/**
 * Where finished result files live. Pipelines always write into the local results folder;
 * `publish` then makes the file reachable from every serve node (nothing to do for a local or
 * shared folder; an upload for S3), and `locate` says where GET /results/:name finds it.
 * `remove` and `list` serve cancel (a cancelled task keeps no file) and retention (the sweeper
 * measures what is kept and deletes what is past its time). The store knows nothing of HTTP:
 * the API layer turns a location into a response.
 */

/** A local file to stream (with Range), or a URL to redirect to (presigned object storage). */
export type ResultLocation = { kind: 'file'; path: string } | { kind: 'redirect'; url: string };

export interface ResultStore {
  readonly kind: 'local' | 's3';
  publish(name: string, contentType: string): Promise<void>;
  /** null: the name is not a result name this store could hold. */
  locate(name: string): ResultLocation | null;
  /**
   * Deletes the result everywhere this store keeps it (the published copy and any local one not
   * yet published). A result that is not there is not an error, so removing twice is safe.
   */
  remove(name: string): Promise<void>;
  /** Every published result with its size and age, in no particular order. */
  list(): AsyncIterable<StoredResult>;
}

/** A published result as retention sees it. */
export interface StoredResult {
  name: string;
  bytes: number;
  /** When it was written (ms since the epoch). */
  modifiedMs: number;
}

/** The content type of each result extension; a name with another extension is not a result. */
export const RESULT_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.mp4': 'video/mp4',
};

/** The content type of a result name, or null (retention lists, and may delete, only these). */
export function resultType(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? RESULT_TYPES[name.slice(dot).toLowerCase()] ?? null : null;
}

/** Result names are `<ticket>.<ext>`; anything else is refused before touching storage. */
export const SAFE_RESULT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function isResultName(name: string): boolean {
  return SAFE_RESULT_NAME.test(name) && !name.includes('..');
}
