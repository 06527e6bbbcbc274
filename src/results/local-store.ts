/** Results on local disk or a shared volume (NFS/EFS): published as written, served from the folder. */
import { join } from 'node:path';
import { isResultName, type ResultLocation, type ResultStore } from './result-store.js';

export class LocalResultStore implements ResultStore {
  readonly kind = 'local' as const;

  constructor(private readonly dir: string) {}

  async publish(): Promise<void> {
    // Already in place: pipelines write atomically into this folder.
  }

  locate(name: string): ResultLocation | null {
    return isResultName(name) ? { kind: 'file', path: join(this.dir, name) } : null;
  }
}
