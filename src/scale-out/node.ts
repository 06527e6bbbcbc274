/**
 * Scale-out composition: `serve` (stateless HTTP over Redis), `worker` (claims and runs tasks
 * on this host's pool), or `all` (both in one process, what `npm start` does when
 * BACKSERV_REDIS_URL is set).
 */
import { createApp } from '../api/app.js';
import { redisApiBackends } from './api-backends.js';
import { compatMount, RedisUserOptions } from '../compat/index.js';
import { listen } from '../api/listen.js';
import { createWorkerPool } from '../workers/create-pool.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../infra/logging.js';
import { loadConfiguredManifest } from '../models/manifest.js';
import { createRegistry } from '../models/registry.js';
import { chooseDevice } from '../runtime/device.js';
import { createResultStore } from '../results/create-result-store.js';
import { storedInputsCleanup } from '../retention/input-cleanup.js';
import { RetentionSweeper } from '../retention/sweeper.js';
import { RedisTaskStore } from '../store/redis-store.js';
import { inputStoreSettings, openInputStore, prepareInputFolder } from '../store/inputs/create-input-store.js';
import { capabilitiesOf } from './capabilities.js';
import { connectRedis, connectSubscriber, waitReady } from '../infra/redis/connection.js';
import { FleetRegistry } from './fleet-registry.js';
import { RedisFrontend } from './redis-frontend.js';
import { RedisWorkerNode, liveWorkers } from './redis-worker.js';

export type Role = 'serve' | 'worker' | 'all';

/** Workers seen this recently count for what a serve node accepts (see fleet-registry.ts). */
const FLEET_WINDOW_MS = 10 * 60 * 1000;

export interface ScaleOutNode {
  /** The HTTP address (serve and all roles). */
  url: string | null;
  close(): Promise<void>;
}

export async function startScaleOutNode(config: Config, log: Logger, role: Role, workerFile?: string): Promise<ScaleOutNode> {
  const url = config.redisUrl;
  if (!url) throw new Error('scale-out needs BACKSERV_REDIS_URL');
  const redis = connectRedis(url, `backserv-${role}-${config.servName}`, config.redisCluster);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  await waitReady(redis).catch((err: Error) => log.warn(`${err.message}; retrying in the background`));
  const store = new RedisTaskStore(redis, config.redisPrefix, config.leaseMs);
  const results = createResultStore(config);
  const closers: (() => Promise<void>)[] = [];
  let httpUrl: string | null = null;

  if (role !== 'serve') {
    const device = chooseDevice(config.device);
    log.info({ device: device.device, reason: device.reason }, `execution device: ${device.device}`);
    const pool = createWorkerPool(config, { workerFile, log });
    const registry = createRegistry(config.modelsDir, loadConfiguredManifest(config.modelsManifest));
    const sub = connectSubscriber(url, `backserv-worker-sub-${config.servName}`, config.redisCluster);
    sub.on('error', () => undefined);
    const node = new RedisWorkerNode(store, redis, sub, pool, {
      servName: config.servName,
      leaseMs: config.leaseMs,
      maxAttempts: config.limits.maxAttempts,
      describe: { device: device.device },
      capabilities: () => capabilitiesOf(registry),
      results,
      maxBatch: config.batching.maxBatch,
    }, log);
    await node.start();
    log.info({ serv_name: config.servName, slots: pool.size }, 'worker node ready');
    closers.push(async () => {
      await node.drain(config.limits.drainTimeoutMs);
      await pool.close();
      await node.stop();
      sub.disconnect();
    });
  }

  if (role !== 'worker') {
    const sub = connectSubscriber(url, `backserv-serve-sub-${config.servName}`, config.redisCluster);
    sub.on('error', () => undefined);
    // What can be submitted is what the live workers can run, not what this node has installed.
    const models = new FleetRegistry(createRegistry(config.modelsDir, loadConfiguredManifest(config.modelsManifest)), redis, config.redisPrefix, FLEET_WINDOW_MS, log);
    await models.refresh();
    const frontend = new RedisFrontend(store, redis, sub, {
      maxQueued: config.limits.maxQueued,
      maxQueuedPerUser: config.limits.maxQueuedPerUser,
      cancelWaitMs: config.limits.cancelGraceMs + 2000,
      slots: () => models.slots(),
    }, log);
    await frontend.start();
    const inputSettings = inputStoreSettings(config);
    const inputs = openInputStore(inputSettings);
    prepareInputFolder(inputSettings);
    // Every serve node sweeps: sweeps are idempotent and safe when several run (retention/sweeper.ts).
    const retention = new RetentionSweeper({ settings: config.retention, store, results, cleanups: [storedInputsCleanup(inputs)], log });
    retention.start();
    const app = createApp({
      config, store, scheduler: frontend, models, log, results, inputs, backends: redisApiBackends(config, redis),
      mounts: [compatMount(new RedisUserOptions(redis, config.redisPrefix))],
      retention: config.retention.sweepMs > 0 ? () => retention.snapshot() : undefined,
      readyInfo: async () => {
        const up = redis.status === 'ready';
        return {
          ready: up,
          mode: 'scale-out',
          redis: redis.status,
          workers: up ? await liveWorkers(redis, config.redisPrefix, config.leaseMs).catch(() => []) : [],
        };
      },
    });
    const http = await listen(app, config, log);
    httpUrl = http.url;
    closers.unshift(async () => {
      await retention.close();
      await http.close();
      await app.closeExtras();
      models.close();
      sub.disconnect();
    });
  }

  return {
    url: httpUrl,
    async close() {
      for (const c of closers) await c();
      redis.disconnect();
    },
  };
}
