import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseDevice, SessionCache, sessionSignature, tensor, type Feeds, type Session, type Tensor } from '../../src/runtime/index.js';
import { loadManifest } from '../../src/models/manifest.js';
import { signatureProblems } from '../../src/models/signature-check.js';
import { makeTestModels, TEST_MODEL_IDS } from '../support/make-test.js';
import { readLastInitializer } from '../../src/models/convert/onnx-read.js';

const manifest = loadManifest();
let root = '';
let cache: SessionCache;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'backserv-testmodels-'));
  await makeTestModels(root, TEST_MODEL_IDS);
  cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
});
afterAll(() => {
  cache.clear();
  rmSync(root, { recursive: true, force: true });
});

function ramp(n: number, phase: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 + 0.45 * Math.sin(i * 0.37 + phase));
}

function floats(t: Tensor): Float32Array {
  return t.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Runs with the base feeds, then with each input perturbed: every output must move each time. */
async function expectEveryInputMatters(session: Session, base: Feeds, perturbed: Feeds): Promise<void> {
  const ref = await session.run(base);
  for (const name of Object.keys(base)) {
    const out = await session.run({ ...base, [name]: perturbed[name] });
    for (const o of session.outputNames) {
      expect(maxAbsDiff(floats(ref[o]), floats(out[o])), `${o} ignores ${name}`).toBeGreaterThan(1e-6);
    }
  }
}

describe('make-test models', () => {
  it('every generated ONNX file loads and matches its manifest signature', async () => {
    for (const id of TEST_MODEL_IDS) {
      const entry = manifest.models.find((m) => m.id === id);
      expect(entry, id).toBeDefined();
      for (const [path, expected] of Object.entries(entry!.signature)) {
        const session = await cache.get(join(root, id, path));
        expect(signatureProblems(expected, sessionSignature(session)), `${id}/${path}`).toEqual([]);
      }
    }
  });

  it('is deterministic: two generations are byte-identical', async () => {
    const other = mkdtempSync(join(tmpdir(), 'backserv-testmodels-'));
    try {
      await makeTestModels(other, ['realesrgan-x4plus', 'inswapper-128']);
      for (const p of ['realesrgan-x4plus/model.onnx', 'inswapper-128/model.onnx']) {
        expect(readFileSync(join(other, p)).equals(readFileSync(join(root, p)))).toBe(true);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('Real-ESRGAN x4: [N,3,H,W] -> [N,3,4H,4W], values near [0,1], each pixel sees its neighbourhood', async () => {
    const s = await cache.get(join(root, 'realesrgan-x4plus/model.onnx'));
    const x = ramp(2 * 3 * 6 * 9, 0);
    const out = floats((await s.run({ input: tensor('float32', x, [2, 3, 6, 9]) })).output);
    expect(out.length).toBe(2 * 3 * 24 * 36);
    expect(Math.min(...out)).toBeGreaterThan(-0.1);
    expect(Math.max(...out)).toBeLessThan(1.1);
    // Change one input pixel of channel 0: outputs of all three channels around it change.
    const y = x.slice();
    y[3 * 9 + 4] += 0.5;
    const out2 = floats((await s.run({ input: tensor('float32', y, [2, 3, 6, 9]) })).output);
    const at = (c: number, r: number, col: number) => c * 24 * 36 + r * 36 + col;
    for (const c of [0, 1, 2]) expect(Math.abs(out2[at(c, 12, 16 + 4)] - out[at(c, 12, 16 + 4)])).toBeGreaterThan(1e-5);
  });

  it('SD-Turbo components: shapes flow text -> unet -> vae, and every input matters', async () => {
    const te = await cache.get(join(root, 'sd-turbo/text_encoder/model.onnx'));
    const ids = Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 49406 : i < 5 ? 320 + i : i === 5 ? 49407 : 0));
    const text = await te.run({ input_ids: tensor('int32', ids, [1, 77]) });
    expect(text.last_hidden_state.dims).toEqual([1, 77, 32]);
    const ids2 = ids.slice();
    ids2[2] = 1929;
    const text2 = await te.run({ input_ids: tensor('int32', ids2, [1, 77]) });
    // Attention: changing one token changes the state at a different (padding) position too.
    const h1 = floats(text.last_hidden_state).subarray(60 * 32, 61 * 32);
    const h2 = floats(text2.last_hidden_state).subarray(60 * 32, 61 * 32);
    expect(maxAbsDiff(h1, h2)).toBeGreaterThan(1e-4);

    const unet = await cache.get(join(root, 'sd-turbo/unet/model.onnx'));
    const base: Feeds = {
      sample: tensor('float32', ramp(4 * 8 * 8, 0), [1, 4, 8, 8]),
      timestep: tensor('int64', BigInt64Array.of(999n), [1]),
      encoder_hidden_states: text.last_hidden_state,
    };
    const other: Feeds = {
      sample: tensor('float32', ramp(4 * 8 * 8, 1), [1, 4, 8, 8]),
      timestep: tensor('int64', BigInt64Array.of(499n), [1]),
      encoder_hidden_states: text2.last_hidden_state,
    };
    await expectEveryInputMatters(unet, base, other);
    const eps = (await unet.run(base)).out_sample;
    expect(eps.dims).toEqual([1, 4, 8, 8]);

    const dec = await cache.get(join(root, 'sd-turbo/vae_decoder/model.onnx'));
    const img = (await dec.run({ latent_sample: eps })).sample;
    expect(img.dims).toEqual([1, 3, 64, 64]);
    expect(Math.max(...floats(img).map(Math.abs))).toBeLessThanOrEqual(1);
    const enc = await cache.get(join(root, 'sd-turbo/vae_encoder/model.onnx'));
    expect((await enc.run({ sample: img })).latent_sample.dims).toEqual([1, 4, 8, 8]);
  });

  it('LCM unet also depends on timestep_cond; SD1.5 takes a float timestep', async () => {
    const unet = await cache.get(join(root, 'lcm-dreamshaper-v7/unet/model.onnx'));
    const mk = (p: number): Feeds => ({
      sample: tensor('float32', ramp(4 * 8 * 8, p), [1, 4, 8, 8]),
      timestep: tensor('float32', Float32Array.of(999 - p * 200), [1]),
      encoder_hidden_states: tensor('float32', ramp(77 * 32, p), [1, 77, 32]),
      timestep_cond: tensor('float32', ramp(256, p * 3), [1, 256]),
    });
    await expectEveryInputMatters(unet, mk(0), mk(1));
    const sd15 = await cache.get(join(root, 'sd15/unet/model.onnx'));
    expect(sessionSignature(sd15).inputs.find((i) => i.name === 'timestep')?.type).toBe('float32');
  });

  it('ArcFace, inswapper and SCRFD: shapes, ranges, and every input matters', async () => {
    const arc = await cache.get(join(root, 'arcface-w600k-r50/model.onnx'));
    const emb = (await arc.run({ 'input.1': tensor('float32', ramp(2 * 3 * 112 * 112, 0), [2, 3, 112, 112]) }))['683'];
    expect(emb.dims).toEqual([2, 512]);

    const swap = await cache.get(join(root, 'inswapper-128/model.onnx'));
    const src = (p: number) => {
      const v = ramp(512, p).map((x) => x - 0.5);
      const n = Math.hypot(...v);
      return tensor('float32', v.map((x) => x / n), [1, 512]);
    };
    const base: Feeds = { target: tensor('float32', ramp(3 * 128 * 128, 0), [1, 3, 128, 128]), source: src(0) };
    const other: Feeds = { target: tensor('float32', ramp(3 * 128 * 128, 2), [1, 3, 128, 128]), source: src(1) };
    await expectEveryInputMatters(swap, base, other);
    const out = floats((await swap.run(base)).output);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);

    const emap = readLastInitializer(readFileSync(join(root, 'inswapper-128/model.onnx')));
    expect(emap.name).toBe('emap');
    expect(emap.dims).toEqual([512, 512]);
    expect(emap.data.length).toBe(512 * 512);

    const det = await cache.get(join(root, 'scrfd-10g/model.onnx'));
    const r = await det.run({ 'input.1': tensor('float32', ramp(3 * 640 * 640, 0).map((v) => v * 2 - 1), [1, 3, 640, 640]) });
    const dims = det.outputNames.map((n) => r[n].dims);
    expect(dims).toEqual([
      [12800, 1], [3200, 1], [800, 1],
      [12800, 4], [3200, 4], [800, 4],
      [12800, 10], [3200, 10], [800, 10],
    ]);
    const scores = floats(r[det.outputNames[0]]);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...scores)).toBeLessThanOrEqual(1);
  });

  it('the tokenizer folder holds the CLIP vocabulary with the reference ids', () => {
    const vocab = JSON.parse(readFileSync(join(root, 'sd-turbo/tokenizer/vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab).length).toBe(49408);
    expect(vocab['!']).toBe(0);
    expect(vocab['!</w>']).toBe(256);
    expect(vocab['<|startoftext|>']).toBe(49406);
    expect(vocab['<|endoftext|>']).toBe(49407);
    // From MODELS.md test vectors: "a photo of a cat" -> 320 1125 539 320 2368; "dog" = 1929.
    expect([vocab['a</w>'], vocab['photo</w>'], vocab['of</w>'], vocab['cat</w>'], vocab['dog</w>']]).toEqual([320, 1125, 539, 2368, 1929]);
    const merges = readFileSync(join(root, 'sd-turbo/tokenizer/merges.txt'), 'utf8').trimEnd().split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges.length).toBe(48894 + 1);
    const cfg = JSON.parse(readFileSync(join(root, 'sd-turbo/tokenizer/tokenizer_config.json'), 'utf8')) as { pad_token: string };
    expect(cfg.pad_token).toBe('!');
    const sched = JSON.parse(readFileSync(join(root, 'sd-turbo/scheduler/scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    expect(sched).toMatchObject({ _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing', beta_schedule: 'scaled_linear' });
  });
});
