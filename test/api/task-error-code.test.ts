/**
 * A failed task's error code reaches the client: query_task answers `error_code` next to
 * `error_info`, in embedded mode (SQLite) and in scale-out mode (Redis), through the one task
 * lifecycle both use. A cancelled task has none.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startScaleOutNode } from '../../src/scale-out/node.js';
import { FIXTURES, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { startTestService, testEnv } from '../helpers/service.js';

const crashWorker = fileURLToPath(new URL('../fixtures/crash-worker.ts', import.meta.url));
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-images-'));
  cpSync(join(FIXTURES, 'images'), dir, { recursive: true });
  // With small tiles, big enough that a cancel lands while it runs.
  await sharp({ create: { width: 768, height: 768, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toFile(join(dir, 'big.png'));
  await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 9, g: 14, b: 20 } } }).png().toFile(join(dir, 'huge.png'));
  files = await startFileServer(dir);
});
afterAll(async () => files?.close());

/** Small tiles (a slow run to cancel), and an output cap between big.png and huge.png at x4 (the test model's scale). */
const SETTINGS = { BACKSERV_UPSCALE_TILE: '32', BACKSERV_UPSCALE_PAD: '4', BACKSERV_UPSCALE_MAX_OUTPUT_PIXELS: '10000000' };

interface Deployment {
  url: string;
  close(): Promise<void>;
}

const deployments: Record<string, () => Promise<Deployment>> = {
  embedded: async () => {
    const svc = await startTestService(SETTINGS, { workerFile: crashWorker });
    return { url: svc.url, close: () => svc.close() };
  },
  'scale-out (Redis)': async () => {
    const prefix = testPrefix();
    const env = testEnv({ ...SETTINGS, BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix });
    const node = await startScaleOutNode(loadConfig(env), silentLogger(), 'all', crashWorker);
    return {
      url: node.url!,
      async close() {
        await node.close();
        const redis = new Redis(REDIS_URL);
        await dropPrefix(redis, prefix);
        await redis.quit();
      },
    };
  },
};

for (const [name, start] of Object.entries(deployments)) {
  describe(`error_code in query_task: ${name}`, () => {
    let d: Deployment;
    beforeAll(async () => {
      d = await start();
    });
    afterAll(async () => d?.close());

    const run = async (imageUrl: string) => {
      const { status, body } = await submit(d.url, 'image_upscale', { image_url: imageUrl, scale_factor: 2 });
      expect(status).toBe(202);
      return waitFor(d.url, body.ticket_id as string);
    };

    it('a worker thread that dies: Failed with worker_crashed', async () => {
      const view = await run(`${files.url}/die-now.png`);
      expect(view).toMatchObject({ status: 'Failed', error_code: 'worker_crashed' });
      expect(view.error_info).toMatch(/crashed/);
    });

    it('an input the pipeline cannot fetch: Failed with invalid_image, the reason in error_info', async () => {
      const view = await run(`${files.url}/no-such-image.png`);
      expect(view).toMatchObject({ status: 'Failed', error_code: 'invalid_image' });
      expect(view.error_info).toMatch(/image_url/);
    });

    it("an output over the server's limit: Failed with image_too_large", async () => {
      const view = await run(`${files.url}/huge.png`);
      expect(view).toMatchObject({ status: 'Failed', error_code: 'image_too_large' });
      expect(view.error_info).toMatch(/10000000 pixels/);
    });

    it('a completed task and a task cancelled while running have no error code', async () => {
      const done = await run(`${files.url}/lowres_bryan.png`);
      expect(done).toMatchObject({ status: 'Completed', error_code: null, error_info: null });
      const { body } = await submit(d.url, 'image_upscale', { image_url: `${files.url}/big.png`, scale_factor: 2 });
      const ticket = body.ticket_id as string;
      await waitFor(d.url, ticket, (b) => b.status === 'In Progress' && ((b.progress as { step: number } | null)?.step ?? 0) >= 1);
      expect((await postJson(`${d.url}/cancel_task/${ticket}`, {})).status).toBe(200);
      expect(await waitFor(d.url, ticket)).toMatchObject({ status: 'Cancelled', error_code: null, error_info: null });
    });
  });
}
