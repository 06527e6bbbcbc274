/** Maps Redis connection failures to a 503 the client can retry, instead of a 500. */
import { storeUnavailable } from '../../tasks/errors.js';

export async function guardRedis<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    if (/enableOfflineQueue|Connection is closed|MaxRetriesPerRequest|ECONNREFUSED|ETIMEDOUT|Stream isn't writeable|Reached the max retries/i.test(msg)) {
      throw storeUnavailable('The task store (Redis) is unreachable right now; retry in a few seconds.');
    }
    throw err;
  }
}
