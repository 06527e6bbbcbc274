import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTaskStore } from '../../src/store/sqlite-store.js';
import { taskStoreConformance } from './conformance.js';

taskStoreConformance('sqlite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'backserv-store-')), 'tasks.sqlite');
  let current = new SqliteTaskStore(file);
  return {
    store: current,
    async reopen() {
      await current.close();
      current = new SqliteTaskStore(file);
      return current;
    },
  };
});
