/**
 * The official `openai` npm package, pointed at Back.Serv with `baseURL`, generating on the
 * sd-turbo test model through the real service (HTTP, SQLite, worker threads); plus the request
 * shapes of Open WebUI's openai engine (backend/open_webui/routers/images.py, image_generations)
 * and LibreChat's DALL·E 3 tool (fixed model dall-e-3, sizes up to 1792×1024, reads data[0].url).
 */
import OpenAI, { APIError, toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { call, pngSize } from './support.js';

let svc: TestService;
let client: OpenAI;
beforeAll(async () => {
  svc = await startTestService();
  client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: 'unused-without-server-keys', maxRetries: 0 });
});
afterAll(async () => svc?.close());

describe('OpenAI Images API through the official openai package', () => {
  it('images.generate with b64_json: n PNGs of the requested size, each an ordinary task', async () => {
    const res = await client.images.generate({ model: 'gpt-image-1', prompt: 'a red fox in snow', n: 2, size: '1024x1024', response_format: 'b64_json', user: 'sdk-user' });
    expect(res.data).toHaveLength(2);
    for (const img of res.data!) expect(await pngSize(img.b64_json!)).toEqual([1024, 1024]);
    expect((res as unknown as { size: string }).size).toBe('1024x1024');
    expect(res.created).toBeGreaterThan(1_600_000_000);
    // Each image was a task of its own in the store.
    const counts = await svc.store.countByStatus();
    expect(counts.Completed).toBeGreaterThanOrEqual(2);
  });

  it('a size beyond the model is fitted, and the answer reports the size made', async () => {
    const res = await client.images.generate({ model: 'dall-e-3', prompt: 'a wide valley', size: '1792x1024', response_format: 'b64_json' });
    expect(await pngSize(res.data![0].b64_json!)).toEqual([1024, 584]);
    expect((res as unknown as { size: string }).size).toBe('1024x584');
  });

  it('response_format url: a fetchable PNG under /results/ (dall-e-* defaults to url, as OpenAI does); `user` names the lane', async () => {
    const res = await client.images.generate({ model: 'dall-e-2', prompt: 'a lighthouse', size: '256x256', user: 'lane-7' });
    const url = res.data![0].url!;
    expect(url).toMatch(new RegExp(`^${svc.url}/results/[0-9a-f-]+\\.png$`));
    const bytes = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(await pngSize(bytes)).toEqual([256, 256]);
    // The ticket behind it is an ordinary task: query_task knows it.
    const ticket = url.split('/').pop()!.replace('.png', '');
    const q = await getJson(`${svc.url}/query_task/${ticket}`);
    expect(q.body).toMatchObject({ status: 'Completed', task_type: 'image_creation', user_id: 'lane-7', result: { width: 256, height: 256, model: 'sd-turbo' } });
  });

  it('output_format jpeg re-encodes the image', async () => {
    const res = await client.images.generate({ model: 'gpt-image-1', prompt: 'a cup', size: '256x256', output_format: 'jpeg' });
    const bytes = Buffer.from(res.data![0].b64_json!, 'base64');
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('/openapi.json (and so /docs/) lists both compat APIs under their own tags', async () => {
    const doc = (await getJson(`${svc.url}/openapi.json`)).body as { tags: { name: string }[]; paths: Record<string, unknown> };
    expect(doc.tags.map((t) => t.name)).toEqual(expect.arrayContaining(['AUTOMATIC1111 compatibility', 'OpenAI Images compatibility']));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/sdapi/v1/txt2img', '/sdapi/v1/options', '/v1/images/generations', '/v1/models']));
  });

  it('models.list names the OpenAI aliases and the installed model; retrieve finds one', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['dall-e-2', 'dall-e-3', 'gpt-image-1', 'sd-turbo']));
    expect((await client.models.retrieve('sd-turbo')).id).toBe('sd-turbo');
  });

  it('bad input: 400 / 404 as APIError with OpenAI\'s error object (type, param, code)', async () => {
    const bad = await client.images.generate({ prompt: 'x', n: 11 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(APIError);
    expect((bad as APIError).status).toBe(400);
    expect((bad as APIError).error).toMatchObject({ type: 'invalid_request_error', param: 'n' });

    const unknown = await client.images.generate({ prompt: 'x', model: 'no-such-model' }).catch((e: unknown) => e);
    expect((unknown as APIError).status).toBe(404);
    expect((unknown as APIError).error).toMatchObject({ param: 'model', code: 'model_not_found' });

    const size = await call(`${svc.url}/v1/images/generations`, { body: { prompt: 'x', size: 'huge' } });
    expect(size.status).toBe(400);
    expect(size.body).toEqual({ error: { message: expect.stringContaining('size'), type: 'invalid_request_error', param: 'size', code: 'invalid_request' } });
  });

  it('images.edit: img2img without a mask, inpainting where the mask is transparent; the unmasked part is kept', async () => {
    const rgb = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 90, b: 200 } } }).png().toBuffer();
    const plain = await client.images.edit({ image: await toFile(rgb, 'in.png', { type: 'image/png' }), prompt: 'make it red', size: '64x64', response_format: 'b64_json' });
    expect(plain.data).toHaveLength(1);
    expect(await pngSize(plain.data![0]!.b64_json!)).toEqual([64, 64]);
    // Left half transparent = edit it; right half opaque = keep it.
    const alpha = Buffer.alloc(64 * 64 * 4);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) alpha[(y * 64 + x) * 4 + 3] = x < 32 ? 0 : 255;
    const mask = await sharp(alpha, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
    const inpainted = await client.images.edit({
      image: await toFile(rgb, 'in.png', { type: 'image/png' }), mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: 'a red square', size: '64x64', response_format: 'b64_json', n: 2,
    });
    expect(inpainted.data).toHaveLength(2);
    const out = await sharp(Buffer.from(inpainted.data![0]!.b64_json!, 'base64')).removeAlpha().raw().toBuffer();
    const kept = [...Array(64).keys()].every((y) => [40, 50, 63].every((x) => Math.abs(out[(y * 64 + x) * 3]! - 30) <= 2 && Math.abs(out[(y * 64 + x) * 3 + 2]! - 200) <= 2));
    expect(kept).toBe(true);
  });

  it('images.edit refuses a missing image and a mask with nothing transparent, in OpenAI\'s shape', async () => {
    const rgb = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
    const err = await client.images.edit({ image: await toFile(rgb, 'in.png', { type: 'image/png' }), mask: await toFile(rgb, 'm.png', { type: 'image/png' }), prompt: 'x' }).catch((e: unknown) => e);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).error).toMatchObject({ param: 'mask' });
    const form = new FormData();
    form.set('prompt', 'x');
    const none = await fetch(`${svc.url}/v1/images/edits`, { method: 'POST', body: form });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { param: string } }).error.param).toBe('image');
  });

  it('Open WebUI openai engine: {model, prompt, n, size, response_format: b64_json} with a Bearer key', async () => {
    const res = await call(`${svc.url}/v1/images/generations`, {
      headers: { Authorization: 'Bearer sk-anything' },
      body: { model: 'dall-e-2', prompt: 'a boat', n: 1, size: '512x512', response_format: 'b64_json' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(await pngSize(res.body.data[0].b64_json)).toEqual([512, 512]);
  });

  it('LibreChat DALL·E 3 tool: fixed dall-e-3, 1792x1024, quality and style, reads data[0].url (file name from it)', async () => {
    const res = await call(`${svc.url}/v1/images/generations`, {
      body: { model: 'dall-e-3', prompt: 'a skyline', size: '1792x1024', quality: 'standard', style: 'vivid', n: 1 },
    });
    expect(res.status).toBe(200);
    const url = res.body.data[0].url as string;
    expect(url.split('/').pop()).toMatch(/^[0-9a-f-]+\.png$/);
    expect(await pngSize(Buffer.from(await (await fetch(url)).arrayBuffer()))).toEqual([1024, 584]);
  });
});
