/** Results on local disk or a shared volume (NFS/EFS): published as written, served with Range. */
import type { Context } from 'koa';
import { serveResult } from '../api/results-route.js';
import type { ResultStore } from './result-store.js';

export class LocalResultStore implements ResultStore {
  readonly kind = 'local' as const;

  constructor(private readonly dir: string) {}

  async publish(): Promise<void> {
    // Already in place: pipelines write atomically into this folder.
  }

  serve(ctx: Context, name: string): Promise<void> {
    return serveResult(ctx, this.dir, name);
  }
}
