/**
 * image_creation's editing fields, batches and live previews through the real service (HTTP,
 * SQLite, worker threads, SSE): 400s naming the field with nothing queued, img2img from a data:
 * URI, result.images for a batch, previews on SSE and in query_task before completion, and no
 * preview file left once the task is Completed or Cancelled.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImage, getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { openSse } from '../helpers/sse.js';

let svc: TestService;
let photo: string;
let smallMask: string;
beforeAll(async () => {
  svc = await startTestService();
  const png = await sharp(fixtureImage('portrait_astronaut.jpg')).resize(128, 128).png().toBuffer();
  photo = `data:image/png;base64,${png.toString('base64')}`;
  const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).png().toBuffer();
  smallMask = `data:image/png;base64,${mask.toString('base64')}`;
});
afterAll(async () => {
  await svc?.close();
});

async function total(): Promise<number> {
  return Object.values(await svc.store.countByStatus()).reduce((a, b) => a + b, 0);
}

describe('image_creation editing through the service', () => {
  it('bad editing fields get a 400 naming the field, and nothing is queued', async () => {
    const before = await total();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ init_image: photo, strength: 1.5 }, /strength/],
      [{ batch_size: 9 }, /batch_size/],
      [{ init_image: photo, outpaint: { left: 12 } }, /outpaint/],
      [{ init_image: photo, width: 1024, height: 512, outpaint: { right: 256 } }, /outpaint/],
      [{ init_image: photo, resize_mode: 'zoom' }, /resize_mode/],
      [{ init_image: 'ftp://x/y.png' }, /init_image/],
      [{ preview_every: -1 }, /preview_every/],
    ];
    for (const [params, field] of cases) {
      const res = await submit(svc.url, 'image_creation', { prompt: 'x', ...params });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.body.message as string).toMatch(field);
    }
    expect(await total()).toBe(before);
  });

  it('img2img from a data: URI completes; a mask of another size fails with a clear error_info', async () => {
    const ok = await waitFor(svc.url, (await submit(svc.url, 'image_creation', { prompt: 'a cat', init_image: photo, strength: 0.5, steps: 2, width: 128, height: 128, seed: 3 })).body.ticket_id as string);
    expect(ok.status).toBe('Completed');
    expect(ok.result).toMatchObject({ mode: 'img2img', strength: 0.5, width: 128, height: 128 });
    const bad = await waitFor(svc.url, (await submit(svc.url, 'image_creation', { prompt: 'a cat', init_image: photo, mask_image: smallMask, width: 128, height: 128 })).body.ticket_id as string);
    expect(bad.status).toBe('Failed');
    expect(bad.error_info).toMatch(/mask_image is 64×64, init_image is 128×128/);
  });

  it('batch_size 3: result.images lists three URLs with seeds s..s+2; result_info is the first', async () => {
    const done = await waitFor(svc.url, (await submit(svc.url, 'image_creation', { prompt: 'a cat', batch_size: 3, width: 64, height: 64, seed: 40 })).body.ticket_id as string);
    expect(done.status).toBe('Completed');
    const list = (done.result as { images: { url: string; seed: number; width: number; height: number }[] }).images;
    expect(list.map((i) => i.seed)).toEqual([40, 41, 42]);
    expect(list[0].url).toBe(done.result_info);
    for (const img of list) {
      const res = await fetch(img.url);
      expect(res.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([64, 64]);
    }
    expect(new Set(list.map((i) => i.url)).size).toBe(3);
  });

  it('previews arrive on SSE before the final status, and the preview file is gone once Completed', async () => {
    const { body } = await submit(svc.url, 'image_creation', { prompt: 'a lighthouse', width: 768, height: 768, steps: 30, preview_every: 3, seed: 5 });
    const ticket = body.ticket_id as string;
    const sse = await openSse(`${svc.url}/events/${ticket}`);
    await sse.closed;
    const kinds = sse.events.map((e) => e.event);
    const previews = sse.events.filter((e) => e.event === 'preview');
    expect(previews.length).toBeGreaterThan(0);
    const lastStatus = kinds.lastIndexOf('status');
    expect(kinds.indexOf('preview')).toBeLessThan(lastStatus);
    for (const p of previews) expect((p.data as { url: string }).url).toMatch(new RegExp(`/results/${ticket}\\.preview\\.png\\?step=\\d+$`));
    const done = await getJson(`${svc.url}/query_task/${ticket}`);
    expect(done.body.status).toBe('Completed');
    expect(done.body.progress).not.toHaveProperty('preview_url');
    expect((await fetch(`${svc.url}/results/${ticket}.preview.png`)).status).toBe(404);
  });

  it('query_task shows progress.preview_url while running (a PNG), and a cancelled task leaves no preview', async () => {
    const { body } = await submit(svc.url, 'image_creation', { prompt: 'slow', width: 1024, height: 1024, steps: 100, preview_every: 1, seed: 1 });
    const ticket = body.ticket_id as string;
    const running = await waitFor(svc.url, ticket, (b) => b.status === 'In Progress' && typeof (b.progress as { preview_url?: string } | null)?.preview_url === 'string');
    const url = (running.progress as { preview_url: string }).preview_url;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);
    expect((await postJson(`${svc.url}/cancel_task/${ticket}`, {})).status).toBe(200);
    await waitFor(svc.url, ticket);
    // The worker removes the preview as the task lets go of it.
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (Date.now() < deadline && (status = (await fetch(`${svc.url}/results/${ticket}.preview.png`)).status) !== 404) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(404);
  });
});
