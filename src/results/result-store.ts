/**
 * Where finished result files live. Pipelines always write into the local results folder;
 * `publish` then makes the file reachable from every serve node (nothing to do for a local or
 * shared folder; an upload for S3), and `locate` says where GET /results/:name finds it. The
 * store knows nothing of HTTP: the API layer turns a location into a response.
 */

/** A local file to stream (with Range), or a URL to redirect to (presigned object storage). */
export type ResultLocation = { kind: 'file'; path: string } | { kind: 'redirect'; url: string };

export interface ResultStore {
  readonly kind: 'local' | 's3';
  publish(name: string, contentType: string): Promise<void>;
  /** null: the name is not a result name this store could hold. */
  locate(name: string): ResultLocation | null;
}

/** Result names are `<ticket>.<ext>`; anything else is refused before touching storage. */
export const SAFE_RESULT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function isResultName(name: string): boolean {
  return SAFE_RESULT_NAME.test(name) && !name.includes('..');
}
