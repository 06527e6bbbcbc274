// Run as a worker thread by test/imaging/libvips-settings.test.ts: loads the pool's real entry
// module from sources through tsx (registered here: a thread's own entry must be JavaScript, and
// `--import tsx` in its execArgv is not ready before that entry loads), then reports libvips'
// cache settings as loading it left them.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

await import('../../src/workers/worker.ts');
const sharp = (await import('sharp')).default;
parentPort?.postMessage(sharp.cache());
