/** Every setting in one place, read from the environment once, at the composition root. */
import { loadBatchingConfig, type BatchingConfig } from './batching-settings.js';
import { cpus, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterPrefix } from './cluster-prefix.js';
import { parseDeviceSetting, type DeviceSetting } from './device-setting.js';
import { loadApiExtrasConfig, type ApiExtrasConfig } from './api-settings.js';
import { loadCompatConfig, type CompatConfig } from './compat-settings.js';
import { envInt, type Env } from './env-int.js';
import { loadRetentionConfig, type RetentionConfig } from './retention-settings.js';
import type { S3Settings } from './s3-settings.js';

export interface Limits {
  /** Request body cap (bytes); data: URIs must fit in it. */
  bodyBytes: number;
  /** Body bytes all requests together may hold in memory; over it new bodies get 503 (spilled strings do not count). */
  maxInflightBodyBytes: number;
  /** Open connections per remote address; 0 = no cap. */
  maxConnectionsPerClient: number;
  /** Longest gap between two chunks of a request body. */
  bodyTimeoutMs: number;
  /** After the first bodyTimeoutMs, a body must keep arriving at least this fast (average bytes/s). */
  bodyMinBytesPerS: number;
  maxQueued: number;
  maxQueuedPerUser: number;
  /** Starts of one task before a crash loop is declared Failed. */
  maxAttempts: number;
  cancelGraceMs: number;
  /** On SIGTERM: how long running tasks may go on before they are stopped and re-queued. */
  drainTimeoutMs: number;
  fetchMaxBytes: number;
  fetchTimeoutMs: number;
  fetchMaxRedirects: number;
  /** Decoded pixel cap for input images (decompression bombs). */
  maxInputPixels: number;
  /** Fixed tile side, or null: chosen per image from the model's working memory and upscaleMemoryBytes. */
  upscaleTile: number | null;
  /** Working memory one tile run may use (BACKSERV_UPSCALE_MEMORY_MB). */
  upscaleMemoryBytes: number;
  upscalePad: number;
  /** Largest ×4 intermediate an upscale may allocate (pixels). */
  upscaleMaxOutputPixels: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  modelsDir: string;
  /** BACKSERV_MODELS_MANIFEST: a manifest to use instead of the project's models/manifest.json; null = the project's. */
  modelsManifest: string | null;
  /**
   * BACKSERV_MODELS_ALLOW_HTTP=1 (tests and development only): model files may come from
   * http://127.0.0.1 / localhost. Otherwise every model URL must be https.
   */
  modelsAllowLoopbackHttp: boolean;
  /** LoRA files for image_creation (BACKSERV_LORA_DIR, default <modelsDir>/loras). */
  loraDir: string;
  device: DeviceSetting;
  workers: number;
  /** Run each worker in a supervised child process (BACKSERV_WORKER_HOST, default 1). */
  workerHost: boolean;
  /** Worker recycling (worker host only): replace a worker process after this many tasks (0 = never). */
  workerMaxTasks: number;
  /** ... or once its RSS is above this many MiB after a task (0 = no limit). */
  workerMaxRssMb: number;
  /** How much lower than the API process's priority (nice) worker processes run (BACKSERV_WORKER_NICE, default 10; 0 = same). */
  workerNice: number;
  intraOpThreads: number;
  /** Base for result URLs; null = derive from the request's Host. */
  publicUrl: string | null;
  servName: string;
  redisUrl: string | null;
  /** BACKSERV_REDIS_CLUSTER=1: the URL lists Redis Cluster nodes; the prefix then carries a hash tag. */
  redisCluster: boolean;
  /** S3-compatible storage for results (set BACKSERV_S3_BUCKET); null = the results folder. */
  s3: S3Settings | null;
  /** Key prefix in Redis, so several deployments (or tests) can share one server. */
  redisPrefix: string;
  /** Scale-out: a claim not renewed within this time is re-queued (the worker is presumed dead). */
  leaseMs: number;
  urlAllowlist: string | undefined;
  sqliteSync: 'normal' | 'full';
  limits: Limits;
  /** API keys, rate limit, webhooks, idempotency, SSE (config/api-settings.ts). */
  api: ApiExtrasConfig;
  /** The AUTOMATIC1111 / OpenAI Images compatibility routes (config/compat-settings.ts). */
  compat: CompatConfig;
  /** What is deleted when, and how often the sweeper looks (config/retention-settings.ts). */
  retention: RetentionConfig;
  /** Cross-request dynamic batching of image_creation (config/batching-settings.ts). */
  batching: BatchingConfig;
}

export function loadConfig(env: Env = process.env): Config {
  const workers = envInt(env, 'BACKSERV_WORKERS', 1, 1, 64);
  const modelsDir = resolve(env.BACKSERV_MODELS_DIR || './models');
  return {
    port: envInt(env, 'PORT', 4093, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.BACKSERV_DATA_DIR || './data'),
    modelsDir,
    modelsManifest: env.BACKSERV_MODELS_MANIFEST ? resolve(env.BACKSERV_MODELS_MANIFEST) : null,
    modelsAllowLoopbackHttp: env.BACKSERV_MODELS_ALLOW_HTTP === '1',
    loraDir: env.BACKSERV_LORA_DIR ? resolve(env.BACKSERV_LORA_DIR) : join(modelsDir, 'loras'),
    device: parseDeviceSetting(env.BACKSERV_DEVICE),
    workers,
    workerHost: env.BACKSERV_WORKER_HOST !== '0',
    workerMaxTasks: envInt(env, 'BACKSERV_WORKER_MAX_TASKS', 0, 0, 1_000_000_000),
    workerMaxRssMb: envInt(env, 'BACKSERV_WORKER_MAX_RSS_MB', 0, 0, 16_777_216),
    workerNice: envInt(env, 'BACKSERV_WORKER_NICE', 10, 0, 19),
    // Split the cores between workers so two sessions do not fight over the same threads.
    intraOpThreads: envInt(env, 'BACKSERV_INTRA_OP_THREADS', Math.max(1, Math.floor(cpus().length / workers)), 0, 256),
    publicUrl: env.BACKSERV_PUBLIC_URL ? env.BACKSERV_PUBLIC_URL.replace(/\/+$/, '') : null,
    servName: env.BACKSERV_SERV_NAME || hostname(),
    redisUrl: env.BACKSERV_REDIS_URL || null,
    redisCluster: env.BACKSERV_REDIS_CLUSTER === '1',
    s3: s3Settings(env),
    redisPrefix: env.BACKSERV_REDIS_CLUSTER === '1' ? clusterPrefix(env.BACKSERV_REDIS_PREFIX || 'backserv:') : env.BACKSERV_REDIS_PREFIX || 'backserv:',
    leaseMs: envInt(env, 'BACKSERV_LEASE_MS', 30_000, 500, 3_600_000),
    urlAllowlist: env.BACKSERV_URL_ALLOWLIST,
    sqliteSync: env.BACKSERV_SQLITE_SYNC === 'full' ? 'full' : 'normal',
    api: loadApiExtrasConfig(env),
    compat: loadCompatConfig(env),
    retention: loadRetentionConfig(env),
    batching: loadBatchingConfig(env, parseDeviceSetting(env.BACKSERV_DEVICE)),
    limits: {
      bodyBytes: envInt(env, 'BACKSERV_BODY_LIMIT_BYTES', 25 * 1024 * 1024, 1024, 1 << 30),
      maxInflightBodyBytes: envInt(env, 'BACKSERV_MAX_INFLIGHT_BODY_BYTES', 64 * 1024 * 1024, 256 * 1024, 1 << 30),
      maxConnectionsPerClient: envInt(env, 'BACKSERV_MAX_CONNECTIONS_PER_CLIENT', 64, 0, 1_000_000),
      bodyTimeoutMs: envInt(env, 'BACKSERV_BODY_TIMEOUT_MS', 10_000, 100, 600_000),
      bodyMinBytesPerS: envInt(env, 'BACKSERV_BODY_MIN_BYTES_PER_S', 32 * 1024, 0, 1 << 30),
      maxQueued: envInt(env, 'BACKSERV_MAX_QUEUED', 10_000, 1, 10_000_000),
      maxQueuedPerUser: envInt(env, 'BACKSERV_MAX_QUEUED_PER_USER', 1_000, 1, 10_000_000),
      maxAttempts: envInt(env, 'BACKSERV_MAX_ATTEMPTS', 3, 1, 100),
      cancelGraceMs: envInt(env, 'BACKSERV_CANCEL_GRACE_MS', 5_000, 0, 600_000),
      drainTimeoutMs: envInt(env, 'BACKSERV_DRAIN_TIMEOUT_MS', 30_000, 0, 3_600_000),
      fetchMaxBytes: envInt(env, 'BACKSERV_FETCH_MAX_BYTES', 25 * 1024 * 1024, 1024, 1 << 30),
      fetchTimeoutMs: envInt(env, 'BACKSERV_FETCH_TIMEOUT_MS', 15_000, 100, 600_000),
      fetchMaxRedirects: envInt(env, 'BACKSERV_FETCH_MAX_REDIRECTS', 3, 0, 20),
      maxInputPixels: envInt(env, 'BACKSERV_MAX_INPUT_PIXELS', 40_000_000, 1, 1_000_000_000),
      // 'auto' (default): the largest tile that fits the memory budget, often the whole image.
      upscaleTile: (env.BACKSERV_UPSCALE_TILE ?? 'auto') === 'auto' ? null : envInt(env, 'BACKSERV_UPSCALE_TILE', 256, 16, 4096),
      upscaleMemoryBytes: envInt(env, 'BACKSERV_UPSCALE_MEMORY_MB', 1024, 16, 1 << 20) * 1024 * 1024,
      // ≥ the receptive field of realesrgan-x4fast (~34 px), so tiled output matches an untiled run.
      upscalePad: envInt(env, 'BACKSERV_UPSCALE_PAD', 40, 0, 512),
      upscaleMaxOutputPixels: envInt(env, 'BACKSERV_UPSCALE_MAX_OUTPUT_PIXELS', 100_000_000, 1, 2_000_000_000),
    },
  };
}

function s3Settings(env: Env): S3Settings | null {
  if (!env.BACKSERV_S3_BUCKET) return null;
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new TypeError(`${name} is required when BACKSERV_S3_BUCKET is set`);
    return v;
  };
  return {
    endpoint: need('BACKSERV_S3_ENDPOINT'),
    bucket: env.BACKSERV_S3_BUCKET,
    prefix: env.BACKSERV_S3_PREFIX ?? 'results/',
    inputsPrefix: env.BACKSERV_S3_INPUTS_PREFIX ?? 'inputs/',
    credentials: {
      accessKeyId: need('BACKSERV_S3_ACCESS_KEY_ID'),
      secretAccessKey: need('BACKSERV_S3_SECRET_ACCESS_KEY'),
      region: env.BACKSERV_S3_REGION || 'us-east-1',
    },
    urlTtlS: envInt(env, 'BACKSERV_S3_URL_TTL_S', 3600, 1, 604_800),
  };
}
