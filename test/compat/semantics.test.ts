/**
 * What the compat APIs promise beyond request shapes, on the real service: API keys decide
 * who is calling (Basic or Bearer for A1111, Bearer for OpenAI); options, progress, interrupt
 * and skip touch only the caller's own work; a client that disconnects cancels its tasks; the
 * queue caps apply (429 in each API's shape, nothing left behind); the wait limit answers 504
 * and cancels.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { basic, call, modelsWithSecondCheckpoint, pngSize, until } from './support.js';

const ALICE = 'alicekey1';
const BOB = 'bobkey123';
const SLOW = { prompt: 'slow', width: 1024, height: 1024, steps: 100 };

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({
    BACKSERV_API_KEYS: `${ALICE}:alice,${BOB}:bob`,
    BACKSERV_MODELS_DIR: modelsWithSecondCheckpoint(),
    BACKSERV_MAX_QUEUED_PER_USER: '2',
  });
});
afterAll(async () => svc?.close());

const sd = (path: string) => `${svc.url}/sdapi/v1/${path}`;
const asAlice = basic('alice', ALICE);
const asBob = basic('bob', BOB);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The ticket the caller's open call is running now (from its own progress). */
async function runningTicket(headers: Record<string, string>): Promise<string> {
  return until(async () => {
    const p = (await call(sd('progress'), { headers })).body;
    const m = /^task\((.+)\)$/.exec(p.state.job as string);
    return m && p.state.sampling_step >= 1 ? m[1] : undefined;
  });
}

async function status(ticket: string, key: string): Promise<string> {
  return (await call(`${svc.url}/query_task/${ticket}`, { headers: bearer(key) })).body.status;
}

describe('compat semantics', () => {
  it('auth: A1111 takes Basic (key as password, or as user name) or Bearer; OpenAI takes Bearer; the key decides the user', async () => {
    const none = await call(sd('sd-models'));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    expect(none.body).toMatchObject({ error: 'unauthorized', detail: expect.any(String) });
    expect((await call(sd('sd-models'), { headers: basic('alice', 'wrong-key') })).status).toBe(401);
    expect((await call(sd('sd-models'), { headers: asAlice })).status).toBe(200);
    expect((await call(sd('sd-models'), { headers: basic(ALICE, '') })).status).toBe(200);
    expect((await call(sd('sd-models'), { headers: bearer(ALICE) })).status).toBe(200);

    const noKey = await call(`${svc.url}/v1/models`);
    expect(noKey.status).toBe(401);
    expect(noKey.body.error).toMatchObject({ code: 'invalid_api_key' });

    const client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: BOB, maxRetries: 0 });
    // `user` does not override the key's user.
    const res = await client.images.generate({ model: 'dall-e-2', prompt: 'a key', size: '64x64', user: 'mallory' });
    const ticket = res.data![0].url!.split('/').pop()!.replace('.png', '');
    const q = await call(`${svc.url}/query_task/${ticket}`, { headers: bearer(BOB) });
    expect(q.body).toMatchObject({ status: 'Completed', user_id: 'bob' });
    expect((await call(`${svc.url}/query_task/${ticket}`, { headers: bearer(ALICE) })).status).toBe(404);
    const wrong = await new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 }).models.list().catch((e: unknown) => e);
    expect((wrong as APIError).status).toBe(401);
  });

  it('options are per user: alice\'s checkpoint is hers; bob keeps the server default', async () => {
    expect((await call(sd('options'), { headers: asAlice, body: { sd_model_checkpoint: 'sd15 [0123456789]' } })).status).toBe(200);
    expect((await call(sd('options'), { headers: asAlice })).body.sd_model_checkpoint).toBe('sd15');
    expect((await call(sd('options'), { headers: asBob })).body.sd_model_checkpoint).toBe('sd-turbo');
    const mine = JSON.parse((await call(sd('txt2img'), { headers: asAlice, body: { prompt: 'a', width: 64, height: 64, steps: 1 } })).body.info);
    const his = JSON.parse((await call(sd('txt2img'), { headers: asBob, body: { prompt: 'a', width: 64, height: 64, steps: 1 } })).body.info);
    expect([mine.sd_model_name, his.sd_model_name]).toEqual(['sd15', 'sd-turbo']);
    // override_settings still wins for one request.
    const once = JSON.parse((await call(sd('txt2img'), { headers: asAlice, body: { prompt: 'a', width: 64, height: 64, steps: 1, override_settings: { sd_model_checkpoint: 'sd-turbo' } } })).body.info);
    expect(once.sd_model_name).toBe('sd-turbo');
    await call(sd('options'), { headers: asAlice, body: { sd_model_checkpoint: 'sd-turbo' } });
  });

  it('interrupt stops only the caller\'s own task: bob\'s interrupt leaves alice\'s running task alone', async () => {
    const aliceCall = call(sd('txt2img'), { headers: asAlice, body: SLOW });
    const aliceTicket = await runningTicket(asAlice);
    const bobCall = call(sd('txt2img'), { headers: asBob, body: { ...SLOW, prompt: 'bob' } });
    await until(async () => ((await call(sd('progress'), { headers: asBob })).body.state.job_count === 1 ? true : undefined));

    expect((await call(sd('interrupt'), { headers: asBob, method: 'POST' })).status).toBe(200);
    const bobRes = await bobCall;
    expect(bobRes.status).toBe(200);
    expect(bobRes.body.images).toEqual([]);
    const bobInfo = JSON.parse(bobRes.body.info);
    expect(await status(bobInfo.backserv.ticket_ids[0], BOB)).toBe('Cancelled');
    expect(bobInfo.backserv.notes.join(' ')).toContain('cancelled');
    // Alice's task is untouched and still running.
    expect(await status(aliceTicket, ALICE)).toBe('In Progress');
    expect((await call(sd('progress'), { headers: asAlice })).body.state.job).toBe(`task(${aliceTicket})`);

    expect((await call(sd('interrupt'), { headers: asAlice, method: 'POST' })).status).toBe(200);
    expect((await aliceCall).body.images).toEqual([]);
    expect(await status(aliceTicket, ALICE)).toBe('Cancelled');
    expect((await call(sd('progress'), { headers: asAlice })).body).toMatchObject({ progress: 0, state: { job_count: 0 } });
  });

  it('skip cancels only the running image; the next image of the batch then runs', async () => {
    const pending = call(sd('txt2img'), { headers: asAlice, body: { ...SLOW, batch_size: 2, seed: 9 } });
    const first = await runningTicket(asAlice);
    expect((await call(sd('skip'), { headers: asAlice, method: 'POST' })).status).toBe(200);
    // The second image starts (skip did not touch it); it is SLOW too, so interrupt it then.
    const second = await until(async () => {
      const t = await runningTicket(asAlice);
      return t !== first ? t : undefined;
    });
    expect(await status(first, ALICE)).toBe('Cancelled');
    expect(await status(second, ALICE)).toBe('In Progress');
    await call(sd('interrupt'), { headers: asAlice, method: 'POST' });
    const info = JSON.parse((await pending).body.info);
    expect(info.backserv.ticket_ids).toEqual([first, second]);
  });

  it('a client that disconnects cancels its tasks, the running one and the queued one', async () => {
    const before = (await svc.store.countByStatus()).Cancelled;
    const abort = new AbortController();
    const pending = call(sd('txt2img'), { headers: asAlice, body: { ...SLOW, batch_size: 2 }, signal: abort.signal }).catch((e: unknown) => e);
    const ticket = await runningTicket(asAlice);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(async () => ((await status(ticket, ALICE)) === 'Cancelled' ? true : undefined), 15_000);
    await until(async () => ((await svc.store.countByStatus()).Cancelled === before + 2 ? true : undefined), 15_000);
    // The worker is free again: a small call completes.
    const next = await call(sd('txt2img'), { headers: asAlice, body: { prompt: 'after', width: 64, height: 64 } });
    expect(await pngSize(next.body.images[0])).toEqual([64, 64]);
  });

  it('queue caps apply: a batch over the per-user cap is 429 in each API\'s shape and leaves nothing queued', async () => {
    // Bob keeps the only worker busy, so alice's tasks stay queued.
    const bobCall = call(sd('txt2img'), { headers: asBob, body: SLOW });
    await runningTicket(asBob);
    const before = await svc.store.countByStatus();
    const a = await call(sd('txt2img'), { headers: asAlice, body: { prompt: 'x', width: 64, height: 64, batch_size: 3 } });
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(a.body).toMatchObject({ error: 'queue_full', detail: expect.stringContaining('alice') });
    const o = await call(`${svc.url}/v1/images/generations`, { headers: bearer(ALICE), body: { prompt: 'x', n: 3, size: '64x64' } });
    expect(o.status).toBe(429);
    expect(o.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    // Both batches were withdrawn whole (2 accepted + cancelled each).
    await until(async () => ((await svc.store.countByStatus()).Cancelled === before.Cancelled + 4 ? true : undefined));
    expect((await svc.store.countByStatus()).Queueing).toBe(0);
    await call(sd('interrupt'), { headers: asBob, method: 'POST' });
    expect((await bobCall).status).toBe(200);
  });
});

describe('compat wait limit', () => {
  let slow: TestService;
  beforeAll(async () => {
    slow = await startTestService({ BACKSERV_COMPAT_WAIT_MS: '600' });
  });
  afterAll(async () => slow?.close());

  it('answers 504 in each API\'s shape and cancels the tasks', async () => {
    const blocker = await submit(slow.url, 'image_creation', SLOW);
    const ticket = blocker.body.ticket_id as string;
    await waitFor(slow.url, ticket, (b) => b.status === 'In Progress');
    const before = (await slow.store.countByStatus()).Cancelled;
    const a = await call(`${slow.url}/sdapi/v1/txt2img`, { body: { prompt: 'late', width: 64, height: 64 } });
    expect(a.status).toBe(504);
    expect(a.body).toMatchObject({ error: 'timeout', detail: expect.stringContaining('BACKSERV_COMPAT_WAIT_MS') });
    const o = await call(`${slow.url}/v1/images/generations`, { body: { prompt: 'late', size: '64x64' } });
    expect(o.status).toBe(504);
    expect(o.body.error).toMatchObject({ type: 'server_error', code: 'timeout' });
    await until(async () => ((await slow.store.countByStatus()).Cancelled === before + 2 ? true : undefined));
    expect((await postJson(`${slow.url}/cancel_task/${ticket}`, {})).status).toBe(200);
  });
});
