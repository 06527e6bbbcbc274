/** Tests use the real Redis on 127.0.0.1:6379 under their own key prefix, removed afterwards. */
import { randomUUID } from 'node:crypto';
export { dropPrefix } from './drop-prefix.js';

export const REDIS_URL = process.env.BACKSERV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(): string {
  return `backserv-test:${randomUUID()}:`;
}

