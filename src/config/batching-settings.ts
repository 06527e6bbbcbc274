/**
 * Cross-request dynamic batching of image_creation (BACKSERV_MAX_BATCH, BACKSERV_BATCH_WAIT_MS).
 * On a CPU the UNet already saturates the cores at batch 1, so a bigger batch mostly makes each
 * request wait for the others: the default is 1 (off). On a GPU a batch fills the device better:
 * the default is 4 when BACKSERV_DEVICE names a GPU provider.
 */
import type { DeviceSetting } from './device-setting.js';
import { envInt } from './env-int.js';

type Env = Record<string, string | undefined>;

export interface BatchingConfig {
  /** Images (members' batch_size summed) one UNet batch may hold; 1 = no cross-request batching. */
  maxBatch: number;
  /** How long a claim waits for more compatible tasks to arrive when the batch is not full; 0 = never. */
  batchWaitMs: number;
}

export function loadBatchingConfig(env: Env, device: DeviceSetting): BatchingConfig {
  const gpu = device === 'cuda' || device === 'tensorrt' || device === 'webgpu';
  return {
    maxBatch: envInt(env, 'BACKSERV_MAX_BATCH', gpu ? 4 : 1, 1, 64),
    batchWaitMs: envInt(env, 'BACKSERV_BATCH_WAIT_MS', 0, 0, 1000),
  };
}
