/**
 * Cancel with no grace period: the pool must not terminate a worker thread while it is inside
 * an onnxruntime run (that aborts the whole process with a Napi::Error, seen on 1.30). The
 * server keeps serving and still exits cleanly afterwards.
 */
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode, type Child } from '../helpers/child.js';
import { postJson, submit, waitFor } from '../helpers/http.js';
import { testEnv } from '../helpers/service.js';

let node: Child | null = null;
afterAll(() => node?.proc.kill('SIGKILL'));

describe('cancel that terminates workers', () => {
  it('never kills a thread mid-inference: the server survives and exits 0', async () => {
    node = await startNode('start', testEnv({ BACKSERV_CANCEL_GRACE_MS: '0', BACKSERV_UPSCALE_TILE: '512', BACKSERV_UPSCALE_PAD: '8' }));
    const png = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer();
    const image = `data:image/png;base64,${png.toString('base64')}`;
    // Cancels land at different moments: before the first run, mid-run, between runs.
    for (let i = 0; i < 6; i++) {
      const { body } = await submit(node.url!, 'image_upscale', { image_url: image });
      await waitFor(node.url!, body.ticket_id as string, (b) => b.status === 'In Progress');
      await new Promise((r) => setTimeout(r, 70 * i));
      const res = await postJson(`${node.url}/cancel_task/${body.ticket_id}`, {});
      expect([200, 409]).toContain(res.status);
    }
    const small = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    const ok = await submit(node.url!, 'image_upscale', { image_url: `data:image/png;base64,${small.toString('base64')}` });
    expect((await waitFor(node.url!, ok.body.ticket_id as string)).status).toBe('Completed');
    node.proc.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  });
});
