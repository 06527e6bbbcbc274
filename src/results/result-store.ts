/**
 * Where finished result files live. Pipelines always write into the local results folder;
 * `publish` then makes the file reachable from every serve node (nothing to do for a local or
 * shared folder; an upload for S3), and `serve` answers GET /results/:name.
 */
import type { Context } from 'koa';

export interface ResultStore {
  readonly kind: 'local' | 's3';
  publish(name: string, contentType: string): Promise<void>;
  serve(ctx: Context, name: string): Promise<void>;
}

/** Result names are `<ticket>.<ext>`; anything else is refused before touching storage. */
export const SAFE_RESULT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
