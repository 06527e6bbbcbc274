/**
 * Workers that hold only some models claim only tasks they can run: the typed claim skips other
 * types, stays fair among the users it can serve, and leaves users it passed over in place.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisTaskStore } from '../../src/store/redis-store.js';
import type { TaskType } from '../../src/tasks/types.js';
import { claimOne } from '../helpers/claim-one.js';
import { REDIS_URL, dropPrefix, testPrefix } from '../helpers/redis.js';
import { newTask } from './conformance.js';

const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  await redis.quit();
});

function store(): RedisTaskStore {
  const prefix = testPrefix();
  prefixes.push(prefix);
  return new RedisTaskStore(redis, prefix);
}

async function push(s: RedisTaskStore, id: string, user: string, type: TaskType): Promise<void> {
  await s.create(newTask({ ticket_id: id, user_id: user, task_type: type }));
}

const claimIds = async (s: RedisTaskStore, types: TaskType[] | undefined, n: number) => {
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) out.push((await claimOne(s, types))?.ticket_id ?? null);
  return out;
};

describe('typed claim (Redis)', () => {
  it('takes only runnable types, in fair order, and skips over the others within a lane', async () => {
    const s = store();
    await push(s, 'a-sd', 'a', 'image_creation');
    await push(s, 'a-up1', 'a', 'image_upscale');
    await push(s, 'b-up', 'b', 'image_upscale');
    await push(s, 'c-sd', 'c', 'image_creation');
    await push(s, 'a-up2', 'a', 'image_upscale');
    // An upscale-only worker: a's first upscale (past a's SD task), then b, then a again; c is never touched.
    expect(await claimIds(s, ['image_upscale'], 4)).toEqual(['a-up1', 'b-up', 'a-up2', null]);
    expect((await s.get('a-sd'))?.status).toBe('Queueing');
    expect((await s.get('a-up1'))).toMatchObject({ status: 'In Progress', serv_name: 'w' });
    // a was just served (twice), so it went to the back of the ring; c, only ever passed over, is next.
    expect(await claimIds(s, ['image_creation'], 3)).toEqual(['c-sd', 'a-sd', null]);
  });

  it('a user passed over keeps its turn for a worker that can run its task', async () => {
    const s = store();
    await push(s, 'x-sd', 'x', 'image_creation');
    await push(s, 'y-up', 'y', 'image_upscale');
    await push(s, 'y-up2', 'y', 'image_upscale');
    expect(await claimIds(s, ['image_upscale'], 1)).toEqual(['y-up']);
    // x is still at the head of the ring: a worker that runs every type serves x before y's second task.
    expect(await claimIds(s, undefined, 2)).toEqual(['x-sd', 'y-up2']);
  });

  it('no runnable types: claims nothing and changes nothing', async () => {
    const s = store();
    await push(s, 'q', 'u', 'face_swap');
    expect(await claimOne(s, [])).toBeNull();
    expect(await claimOne(s, ['video_creation'])).toBeNull();
    expect(await s.queuePosition('q')).toBe(0);
    expect((await claimOne(s, ['face_swap']))?.ticket_id).toBe('q');
  });

  it('finds a runnable task past the first chunk of a long ring of users', async () => {
    const s = store();
    for (let i = 0; i < 70; i++) await push(s, `sd-${i}`, `user-${i}`, 'image_creation');
    await push(s, 'far', 'user-69', 'image_upscale');
    expect((await claimOne(s, ['image_upscale']))?.ticket_id).toBe('far');
    expect(await claimOne(s, ['image_upscale'])).toBeNull();
    expect((await claimOne(s, ['image_creation']))?.ticket_id).toBe('sd-0'); // the ring's head is unchanged
  });

  it('looks only `scan` entries deep into a lane', async () => {
    const s = store();
    for (let i = 0; i < 5; i++) await push(s, `sd${i}`, 'deep', 'image_creation');
    await push(s, 'up', 'deep', 'image_upscale');
    expect(await claimOne(s, ['image_upscale'], 5)).toBeNull();
    expect((await claimOne(s, ['image_upscale'], 6))?.ticket_id).toBe('up');
  });

  it('completeAndClaim completes the task and claims the next for the freed slot in one call', async () => {
    const s = store();
    await push(s, 'one', 'u', 'image_upscale');
    await push(s, 'sd', 'v', 'image_creation');
    await push(s, 'two', 'u', 'image_upscale');
    const first = await claimOne(s, ['image_upscale']);
    expect(first?.ticket_id).toBe('one');
    const result = { file: 'one.png', content_type: 'image/png', width: 1, height: 1 };
    const r = await s.completeAndClaim('one', result as never, 'T2', first!.attempts, 'w', ['image_upscale'], 1);
    expect(r.completed).toBe(true);
    expect(r.next.map((t) => t.ticket_id)).toEqual(['two']); // v's SD task is not runnable here
    expect(await s.get('one')).toMatchObject({ status: 'Completed', completed_at: 'T2' });
    expect(await s.get('two')).toMatchObject({ status: 'In Progress', serv_name: 'w' });
    // A stale claim (wrong attempt) is not completed, but the slot is still filled.
    await push(s, 'three', 'u', 'image_upscale');
    const stale = await s.completeAndClaim('two', result as never, 'T3', 99, 'w', ['image_upscale'], 2);
    expect(stale).toMatchObject({ completed: false });
    expect(stale.next.map((t) => t.ticket_id)).toEqual(['three']);
    expect((await s.get('two'))?.status).toBe('In Progress');
  });
});
