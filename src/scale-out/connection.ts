/**
 * Redis connections for scale-out. Commands fail fast while Redis is away (no offline queue,
 * one retry) so the API answers 503 instead of hanging; ioredis reconnects by itself with
 * backoff, and subscribers re-subscribe on reconnect.
 */
import { Redis } from 'ioredis';

export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: false,
  });
}

/** A subscriber connection: it must queue its SUBSCRIBE until connected. */
export function connectSubscriber(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });
}

export function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
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
