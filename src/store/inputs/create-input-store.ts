/** The input store a deployment uses: S3 when BACKSERV_S3_BUCKET is set, else `BACKSERV_DATA_DIR/inputs`. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import type { InputStore } from './input-store.js';
import { LocalInputStore, sweepStaleInputs } from './local-input-store.js';
import { S3InputStore } from './s3-input-store.js';

/** Plain data a worker can rebuild the same store from (it crosses to worker threads and the worker host process). */
export type InputStoreSettings = { kind: 'local'; dir: string } | { kind: 's3'; s3: NonNullable<Config['s3']>; spoolDir: string };

export function inputStoreSettings(config: Config): InputStoreSettings {
  const dir = join(config.dataDir, 'inputs');
  return config.s3 ? { kind: 's3', s3: config.s3, spoolDir: dir } : { kind: 'local', dir };
}

export function openInputStore(settings: InputStoreSettings): InputStore {
  return settings.kind === 's3' ? new S3InputStore(settings.s3, settings.spoolDir) : new LocalInputStore(settings.dir);
}

/** An upload older than this cannot still be arriving (bodies must keep a minimum rate). */
const STALE_UPLOAD_MS = 60 * 60 * 1000;

/** At start-up: makes the folder and removes uploads a crash left half-written; returns how many. */
export function prepareInputFolder(settings: InputStoreSettings): number {
  const dir = settings.kind === 'local' ? settings.dir : settings.spoolDir;
  mkdirSync(dir, { recursive: true });
  return sweepStaleInputs(dir, STALE_UPLOAD_MS);
}
