/** The result store a deployment uses: S3 when BACKSERV_S3_BUCKET is set, else the results folder. */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { LocalResultStore } from './local-store.js';
import type { ResultStore } from './result-store.js';
import { S3ResultStore } from './s3-store.js';

export type { ResultStore } from './result-store.js';

export function createResultStore(config: Config): ResultStore {
  const dir = join(config.dataDir, 'results');
  return config.s3 ? new S3ResultStore(config.s3, dir) : new LocalResultStore(dir);
}
