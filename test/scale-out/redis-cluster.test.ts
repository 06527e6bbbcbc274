/**
 * Scale-out on a Redis Cluster (3 primaries): the task store passes the same conformance suite
 * as on a single Redis, and a serve node and a worker (real processes, BACKSERV_REDIS_CLUSTER=1)
 * run tasks, wake-ups, heartbeats and cancels through it. The keys of a deployment share one
 * hash tag, so they live in one slot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterPrefix } from '../../src/config/cluster-prefix.js';
import { connectRedis, type RedisClient } from '../../src/infra/redis/connection.js';
import { dropPrefix } from '../helpers/drop-prefix.js';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import { kill9, startNode, type Child } from '../helpers/child.js';
import { FIXTURES, postJson, waitFor } from '../helpers/http.js';
import { startCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { testEnv } from '../helpers/service.js';
import { newTask, taskStoreConformance } from '../store/conformance.js';

let cluster: TestCluster;
let client: RedisClient;

beforeAll(async () => {
  cluster = await startCluster();
  client = connectRedis(cluster.url, 'cluster-test', true);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('hash-tagged prefixes', () => {
  it('wraps a plain prefix, keeps one that has a tag', () => {
    expect(clusterPrefix('backserv:')).toBe('{backserv}:');
    expect(clusterPrefix('prod:eu')).toBe('{prod:eu}:');
    expect(clusterPrefix('{tenant-a}:backserv:')).toBe('{tenant-a}:backserv:');
  });
});

taskStoreConformance('redis cluster', async () => {
  const prefix = clusterPrefix(`conf-${Math.random().toString(36).slice(2)}`);
  const open = async () => new RedisTaskStore(client as never, prefix);
  return { store: await open(), reopen: open };
});

describe('scale-out nodes on a Redis Cluster', () => {
  const children: Child[] = [];
  let serve: Child;
  beforeAll(async () => {
    const env = testEnv({ BACKSERV_REDIS_URL: cluster.url, BACKSERV_REDIS_CLUSTER: '1', BACKSERV_REDIS_PREFIX: 'cluster-e2e:' });
    children.push(await startNode('worker', { ...env, BACKSERV_SERV_NAME: 'cw-1' }));
    serve = await startNode('serve', { ...env, BACKSERV_SERV_NAME: 'cs-1' });
    children.push(serve);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) await kill9(c);
    await dropPrefix(client, '{cluster-e2e}:');
  });

  it('runs tasks from several users to completion, and the keys all live in one slot', async () => {
    const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
    const tickets: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await postJson(`${serve.url}/submit_task`, { task_type: 'image_upscale', task_params: { image_url: image, scale_factor: 2 }, user_id: `u${i % 3}` });
      expect(res.status).toBe(202);
      tickets.push(res.body.ticket_id as string);
    }
    for (const t of tickets) expect((await waitFor(serve.url!, t)).status).toBe('Completed');
    const ready = await (await fetch(`${serve.url}/ready`)).json() as { status: string; workers: { name: string }[] };
    expect(ready.status).toBe('ready');
    expect(ready.workers.map((w) => w.name)).toEqual(['cw-1']);
    const slot = await (client as { cluster(sub: 'KEYSLOT', key: string): Promise<number> }).cluster('KEYSLOT', '{cluster-e2e}:t:x');
    const store = new RedisTaskStore(client as never, '{cluster-e2e}:');
    expect((await store.get(tickets[0]))?.status).toBe('Completed');
    expect(await (client as { cluster(sub: 'KEYSLOT', key: string): Promise<number> }).cluster('KEYSLOT', `{cluster-e2e}:t:${tickets[0]}`)).toBe(slot);
  }, 60_000);

  it('cancel reaches the running worker through the cluster\'s pub/sub, and the worker\'s progress is visible', async () => {
    const res = await postJson(`${serve.url}/submit_task`, { task_type: 'image_creation', task_params: { prompt: 'a long walk', width: 1024, height: 1024, steps: 100 }, user_id: 'walker' });
    const ticket = res.body.ticket_id as string;
    const running = await waitFor(serve.url!, ticket, (b) => b.status === 'In Progress' && b.progress !== null);
    expect(running.serv_name).toBe('cw-1');
    const cancel = await fetch(`${serve.url}/cancel_task/${ticket}`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const logged = () => children[0].logs.some((l) => l.msg === 'task cancelled' && l.ticket_id === ticket);
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logged()).toBe(true);
    expect((await waitFor(serve.url!, ticket)).status).toBe('Cancelled');
  }, 60_000);

  it('a task created through the store is claimable by the worker like one from the API', async () => {
    const store = new RedisTaskStore(client as never, '{cluster-e2e}:');
    const task = newTask({ task_type: 'image_upscale', params: { image_url: 'data:image/png;base64,AAAA' } });
    await store.createQueued(task, 0, 0);
    await client.publish('{cluster-e2e}:ch:wake', '1');
    const view = await waitFor(serve.url!, task.ticket_id);
    expect(view.status).toBe('Failed'); // claimed and run: the image does not decode
  }, 60_000);
});
