/**
 * A compat client cannot starve seed-API users: a flood of synchronous A1111 calls from one
 * client lands in that client's own fair-queue lane, so a seed user's task submitted after the
 * flood is claimed next (one worker: at most the running flood task, and the one the rotation
 * had already chosen, go before it), not after the whole flood as a FIFO would have it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { call, until } from './support.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ BACKSERV_WORKERS: '1' });
});
afterAll(async () => svc?.close());

describe('compat flood alongside a seed-API user', () => {
  it('the seed task is claimed right after the running flood task, and every flood call still completes', async () => {
    const FLOOD = 6;
    const calls = Array.from({ length: FLOOD }, (_, i) => call(`${svc.url}/sdapi/v1/txt2img`, {
      body: { prompt: `flood ${i}`, width: 512, height: 512, steps: 8, seed: i },
    }));
    await until(async () => {
      const c = await svc.store.countByStatus();
      return c.Queueing + c['In Progress'] === FLOOD ? true : undefined;
    });
    const seed = await submit(svc.url, 'image_creation', { prompt: 'seed user', width: 64, height: 64, seed: 1 }, 'seed-user');
    expect(seed.status).toBe(202);
    const seedDone = await waitFor(svc.url, seed.body.ticket_id as string, undefined, 60_000);
    expect(seedDone.status).toBe('Completed');

    const answers = await Promise.all(calls);
    const tickets = answers.map((a) => JSON.parse(a.body.info).backserv.ticket_ids[0] as string);
    const flood = await Promise.all(tickets.map(async (t) => (await getJson(`${svc.url}/query_task/${t}`)).body));
    for (const f of flood) expect(f).toMatchObject({ status: 'Completed', user_id: 'ip:127.0.0.1' });
    const ahead = flood.filter((f) => String(f.started_at) < String(seedDone.started_at)).length;
    expect(ahead).toBeLessThanOrEqual(2);
    expect(FLOOD - ahead).toBeGreaterThanOrEqual(4); // a FIFO would have run all six first
  });
});
