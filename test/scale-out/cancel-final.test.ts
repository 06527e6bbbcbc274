/**
 * Cancel is final in scale-out, where a cancel is recorded in Redis first and reaches the
 * worker afterwards (so a worker often finishes a task that is already Cancelled): in a cancel
 * storm sent to a serve node, no Cancelled task keeps a result file in the shared folder or
 * through GET /results, and every Completed one has its file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startScaleOutNode, type ScaleOutNode } from '../../src/scale-out/node.js';
import { cancelStorm, resultAnswersOtherThan } from '../helpers/cancel-storm.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';

const TASKS = 120;
const prefix = testPrefix();
let worker: ScaleOutNode;
let serve: ScaleOutNode;
let dataDir: string;

beforeAll(async () => {
  const base = testEnv({ BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_UPSCALE_TILE: '16', BACKSERV_UPSCALE_PAD: '4' });
  dataDir = base.BACKSERV_DATA_DIR;
  worker = await startScaleOutNode(loadConfig({ ...base, BACKSERV_SERV_NAME: 'storm-worker' }), silentLogger(), 'worker');
  serve = await startScaleOutNode(loadConfig({ ...base, BACKSERV_SERV_NAME: 'storm-serve' }), silentLogger(), 'serve');
});
afterAll(async () => {
  await serve?.close();
  await worker?.close();
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('cancel storm in scale-out', () => {
  it('leaves no result file behind a Cancelled task, and keeps every Completed one', { timeout: 300_000 }, async () => {
    const url = serve.url!;
    const { warm, byStatus, answers, runMs } = await cancelStorm(url, TASKS, 3);
    const { Completed: completed, Cancelled: cancelled, Failed: failed } = byStatus;
    console.info(`scale-out cancel storm: run ${runMs} ms, ${cancelled.length} cancelled, ${completed.length} completed of ${TASKS}; ` +
      `cancel answers 200: ${answers.filter((s) => s === 200).length}, 409: ${answers.filter((s) => s === 409).length}`);
    expect(answers.every((s) => s === 200 || s === 409)).toBe(true);
    expect(failed).toEqual([]);
    // How many cancels land before their task ends depends on the machine's load; the property
    // below needs enough of them, at every phase, to mean something.
    expect(cancelled.length).toBeGreaterThanOrEqual(12);
    expect(completed.length).toBeGreaterThan(0);

    const files = new Set(readdirSync(join(dataDir, 'results')));
    expect(cancelled.filter((id) => files.has(`${id}.png`))).toEqual([]);
    expect(completed.filter((id) => !files.has(`${id}.png`))).toEqual([]);
    expect(await resultAnswersOtherThan(url, cancelled, 404)).toEqual([]);
    const expected = new Set([...completed, ...warm].map((id) => `${id}.png`));
    expect([...files].filter((f) => !expected.has(f))).toEqual([]);
  });
});
