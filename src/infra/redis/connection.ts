/**
 * Redis connections for scale-out. Commands fail fast while Redis is away (no offline queue,
 * one retry) so the API answers 503 instead of hanging; ioredis reconnects by itself with
 * backoff, and subscribers re-subscribe on reconnect.
 *
 * A Redis Cluster is used when BACKSERV_REDIS_CLUSTER=1: the URL may then list several nodes
 * (comma-separated) to discover the cluster from. Every key lives under the prefix, which then
 * carries a hash tag, so all of a deployment's keys share one slot and the Lua scripts stay
 * atomic (see cluster-prefix.ts).
 */
import { Cluster, Redis } from 'ioredis';

/** A single Redis (or a primary) or a Redis Cluster: the commands used here exist on both. */
export type RedisClient = Redis | Cluster;

const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000);

function clusterNodes(url: string): { host: string; port: number }[] {
  return url.split(',').map((u) => {
    const parsed = new URL(u.trim());
    return { host: parsed.hostname, port: Number(parsed.port || 6379) };
  });
}

function clusterPassword(url: string): string | undefined {
  const first = new URL(url.split(',')[0].trim());
  return first.password ? decodeURIComponent(first.password) : undefined;
}

export function connectRedis(url: string, name: string, cluster = false): RedisClient {
  if (cluster) {
    return new Cluster(clusterNodes(url), {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { connectionName: name, maxRetriesPerRequest: 1, password: clusterPassword(url) },
    });
  }
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy, lazyConnect: false });
}

/** A subscriber connection: it must queue its SUBSCRIBE until connected. */
export function connectSubscriber(url: string, name: string, cluster = false): RedisClient {
  if (cluster) {
    return new Cluster(clusterNodes(url), {
      enableOfflineQueue: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { connectionName: name, maxRetriesPerRequest: null, password: clusterPassword(url) },
    });
  }
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy });
}

export function waitReady(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not reachable within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Pub/sub channel names under a prefix. */
export function channels(prefix: string) {
  return {
    /** A task became claimable: idle workers try to claim. */
    wake: `${prefix}ch:wake`,
    /** A running task was cancelled: the node running it stops it. Message: ticket id. */
    cancel: `${prefix}ch:cancel`,
    /** A worker stopped a cancelled task. Message: ticket id. */
    cancelled: `${prefix}ch:cancelled`,
    /** Status changes, for live views on every serve node. Message: JSON {ticket, status}. */
    events: `${prefix}ch:events`,
  };
}

export const workersKey = (prefix: string) => `${prefix}workers`;
