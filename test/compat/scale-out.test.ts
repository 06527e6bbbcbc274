/**
 * The compat APIs on scale-out nodes over the real Redis: a serve node accepts a synchronous
 * txt2img and answers once a worker node (another process role, same Redis) has run it, the
 * wait relying on the task events relayed through Redis; and a caller's A1111 options set on
 * one serve node hold on the other (they live in Redis). The worker node runs in a child
 * process, as on a real GPU host.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startScaleOutNode, type ScaleOutNode } from '../../src/scale-out/node.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { testEnv } from '../helpers/service.js';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { call, modelsWithSecondCheckpoint, pngSize } from './support.js';

const prefix = testPrefix();
const nodes: ScaleOutNode[] = [];
let worker: Child;
let serveA: string;
let serveB: string;

beforeAll(async () => {
  const models = modelsWithSecondCheckpoint();
  // One data folder for all nodes: it stands for the shared results volume.
  const dataDir = testEnv().BACKSERV_DATA_DIR;
  const vars = (name: string) => testEnv({
    BACKSERV_REDIS_URL: REDIS_URL, BACKSERV_REDIS_PREFIX: prefix, BACKSERV_SERV_NAME: name, BACKSERV_MODELS_DIR: models, BACKSERV_DATA_DIR: dataDir,
  });
  const env = (name: string) => loadConfig(vars(name));
  worker = await startNode('worker', vars('worker-1'));
  nodes.push(await startScaleOutNode(env('serve-a'), silentLogger(), 'serve'));
  nodes.push(await startScaleOutNode(env('serve-b'), silentLogger(), 'serve'));
  [serveA, serveB] = [nodes[0].url!, nodes[1].url!];
});
afterAll(async () => {
  for (const n of nodes) await n.close();
  if (worker) await kill9(worker);
  const redis = new Redis(REDIS_URL);
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('compat in scale-out', () => {
  it('a serve node answers txt2img with the image a worker node made; options are shared by the serve nodes', async () => {
    expect((await call(`${serveA}/sdapi/v1/options`, { body: { sd_model_checkpoint: 'sd15' } })).status).toBe(200);
    expect((await call(`${serveB}/sdapi/v1/options`)).body.sd_model_checkpoint).toBe('sd15');

    const res = await call(`${serveB}/sdapi/v1/txt2img`, { body: { prompt: 'across nodes', width: 128, height: 96, steps: 2, seed: 3 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([128, 96]);
    const info = JSON.parse(res.body.info);
    expect(info).toMatchObject({ seed: 3, sd_model_name: 'sd15' });
    const q = await call(`${serveA}/query_task/${info.backserv.ticket_ids[0]}`);
    expect(q.body).toMatchObject({ status: 'Completed', serv_name: 'worker-1' });

    const openai = await call(`${serveA}/v1/images/generations`, { body: { prompt: 'across nodes', size: '64x64', response_format: 'b64_json' } });
    expect(openai.status).toBe(200);
    expect(await pngSize(openai.body.data[0].b64_json)).toEqual([64, 64]);
  });
});
