/**
 * Cross-request batching in embedded mode: the SQLite store, the in-memory fair queue's batch
 * fill, the worker host child process running a batch in one slot (see suite.ts).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startTestService, type TestService } from '../helpers/service.js';
import { batchingSuite } from './suite.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MAX_BATCH: '4' });
});
afterAll(async () => {
  await svc?.close();
});

describe('cross-request batching (embedded, SQLite)', () => {
  batchingSuite({ url: () => svc.url });
});
