/**
 * The cross-request batching checks through a real deployment (HTTP, a store, worker processes,
 * the sd-turbo test model), shared by the embedded (SQLite) and scale-out (Redis, Lua claim) tests:
 * queued compatible tasks of two users run as one batch in fair order, each result equal to its
 * run alone; a member cancelled mid-run ends Cancelled without a result file while the others
 * complete with their solo pictures.
 */
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { getJson, postJson, submit, waitFor } from '../helpers/http.js';

export interface Deployment {
  /** The API's base URL. */
  url: () => string;
}

const MEMBER = { width: 256, height: 256, scheduler: 'euler_a' };

async function pixels(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true })).data;
}

function worst(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

/** Holds the only worker with a long task until `then` has queued its work, then cancels it. */
async function whileBusy(base: string, then: () => Promise<void>): Promise<void> {
  const blocker = (await submit(base, 'image_creation', { prompt: 'blocker', width: 1024, height: 1024, steps: 100, seed: 1 }, 'blocker')).body.ticket_id as string;
  await waitFor(base, blocker, (b) => b.status === 'In Progress');
  await then();
  expect((await postJson(`${base}/cancel_task/${blocker}`, {})).status).toBe(200);
}

async function solo(base: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const done = await waitFor(base, (await submit(base, 'image_creation', params, 'solo')).body.ticket_id as string, undefined, 120_000);
  expect(done.status).toBe('Completed');
  expect((done.result as { batched?: unknown }).batched).toBeUndefined();
  return done;
}

export function batchingSuite(d: Deployment): void {
  it('runs queued compatible tasks of two users as one batch in fair order; each equals its run alone', async () => {
    const base = d.url();
    const params = [
      { prompt: 'a red barn', seed: 10, ...MEMBER, user: 'alice' },
      { prompt: 'a blue lake', negative_prompt: 'fog', seed: 20, batch_size: 2, ...MEMBER, user: 'alice' },
      { prompt: 'a green hill', seed: 30, ...MEMBER, user: 'alice' },
      { prompt: 'a yellow car', seed: 40, ...MEMBER, user: 'bob' },
    ];
    const ids: string[] = [];
    await whileBusy(base, async () => {
      for (const { user, ...p } of params) ids.push((await submit(base, 'image_creation', { ...p, steps: 3 }, user)).body.ticket_id as string);
    });
    const done = await Promise.all(ids.map((id) => waitFor(base, id, undefined, 120_000)));
    for (const t of done) expect(t.status).toBe('Completed');
    // Limit 4 images: alice's first (1), then bob's (1), then alice's next (2) fill it; alice's third waits.
    const batched = done.map((t) => (t.result as { batched?: { members: number; images: number } }).batched);
    expect(batched[0]).toEqual({ members: 3, images: 4 });
    expect(batched[1]).toEqual({ members: 3, images: 4 });
    expect(batched[3]).toEqual({ members: 3, images: 4 });
    expect(batched[2]).toBeUndefined();
    for (const [i, t] of done.entries()) {
      const { user: _user, ...p } = params[i];
      const alone = await solo(base, { ...p, steps: 3 });
      const mine = (t.result as { images: { file: string; seed: number }[] }).images;
      const theirs = (alone.result as { images: { file: string; seed: number }[] }).images;
      expect(mine.map((m) => m.seed)).toEqual(theirs.map((m) => m.seed));
      const [a, b] = [t.result_info as string, alone.result_info as string];
      expect(worst(await pixels(a), await pixels(b)), `task ${i}`).toBeLessThanOrEqual(1);
    }
  });

  it('a member cancelled mid-run ends Cancelled with no result file; the others complete as they would alone', async () => {
    const base = d.url();
    const params = [
      // Long enough (384², 100 steps) that the cancel surely lands mid-run on a fast machine too.
      { prompt: 'a stone bridge', seed: 5, steps: 100, ...MEMBER, width: 384, height: 384 },
      { prompt: 'a paper boat', seed: 6, steps: 100, ...MEMBER, width: 384, height: 384 },
      { prompt: 'an old clock', seed: 7, steps: 100, ...MEMBER, width: 384, height: 384 },
    ];
    const ids: string[] = [];
    await whileBusy(base, async () => {
      for (const [i, p] of params.entries()) ids.push((await submit(base, 'image_creation', p, ['ann', 'ben', 'cat'][i])).body.ticket_id as string);
    });
    await waitFor(base, ids[1], (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 2, 120_000);
    const res = await postJson(`${base}/cancel_task/${ids[1]}`, {});
    expect(res.status).toBe(200);
    const others = await Promise.all([ids[0], ids[2]].map((id) => waitFor(base, id, undefined, 120_000)));
    const cancelled = (await getJson(`${base}/query_task/${ids[1]}`)).body;
    expect(cancelled.status).toBe('Cancelled');
    expect(cancelled.result_info ?? null).toBeNull();
    expect((await fetch(`${base}/results/${ids[1]}.png`)).status).toBe(404);
    for (const [j, t] of others.entries()) {
      expect(t.status).toBe('Completed');
      expect((t.result as { batched: { members: number } }).batched.members).toBe(3);
      const alone = await solo(base, params[j === 0 ? 0 : 2]);
      expect(worst(await pixels(t.result_info as string), await pixels(alone.result_info as string))).toBeLessThanOrEqual(1);
    }
  });
}
