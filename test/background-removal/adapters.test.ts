/**
 * The per-model pre/post-processing of background removal: tensor layout and normalisation
 * (selfie NHWC 0–1, U²-Net / BiRefNet NCHW ImageNet over the image's maximum), the output turned
 * into a 0–1 probability (as is, min-max, sigmoid then min-max), and the whole pipeline on the
 * signature-exact U²-Net and BiRefNet test models.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestModels } from '../support/make-test.js';
import { runBackgroundRemoval } from '../../src/pipelines/background-removal/index.js';
import { packInput, readOutput } from '../../src/pipelines/background-removal/segment.js';
import { SEGMENTERS, type SegmenterSpec } from '../../src/pipelines/background-removal/segmenters.js';
import { photo, pipelineContext, readResult } from './support.js';

const tiny = (spec: SegmenterSpec): SegmenterSpec => ({ ...spec, size: 2 });

describe('segmenter adapters', () => {
  // 2×2 RGB: pixel k has R = 10k+10, G = 10k+20, B = 10k+30 → max 60.
  const rgb = Uint8Array.from([10, 20, 30, 20, 30, 40, 30, 40, 50, 40, 50, 60]);

  it('selfie: NHWC, pixel / 255', () => {
    const t = packInput(rgb, tiny(SEGMENTERS['selfie-segmentation']));
    expect(Array.from(t, (v) => Math.round(v * 255))).toEqual(Array.from(rgb));
  });

  it('u2net / BiRefNet: NCHW planes, pixel / image max, ImageNet mean and std', () => {
    for (const id of ['u2net', 'birefnet-general']) {
      const t = packInput(rgb, tiny(SEGMENTERS[id]));
      // R plane first, then G, then B; pixel 3's R is 40 / 60.
      expect(t[3], id).toBeCloseTo((40 / 60 - 0.485) / 0.229, 5);
      expect(t[4 + 0], id).toBeCloseTo((20 / 60 - 0.456) / 0.224, 5);
      expect(t[8 + 3], id).toBeCloseTo((60 / 60 - 0.406) / 0.225, 5);
    }
  });

  it('outputs: probabilities clamped; saliency min-max stretched; logits through a sigmoid first', () => {
    expect(Array.from(readOutput(Float32Array.from([-0.2, 0.3, 1.4, 0.9]), tiny(SEGMENTERS['selfie-segmentation'])))).toEqual([0, 0.30000001192092896, 1, 0.8999999761581421]);
    const u = readOutput(Float32Array.from([2, 4, 6, 3]), tiny(SEGMENTERS.u2net));
    expect(Array.from(u)).toEqual([0, 0.5, 1, 0.25]);
    const b = readOutput(Float32Array.from([-2, 0, 2, 0]), tiny(SEGMENTERS['birefnet-general']));
    expect(b[0]).toBe(0);
    expect(b[2]).toBe(1);
    expect(b[1]).toBeCloseTo(0.5, 6);
    expect(() => readOutput(Float32Array.from([1, 1, 1, 1]), tiny(SEGMENTERS.u2net))).toThrow(/flat/);
  });
});

describe('the pipeline on the downloadable models\' test stand-ins', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'backserv-bgr-adapters-'));
    await makeTestModels(dir, ['selfie-segmentation', 'u2net', 'birefnet-general']);
  }, 60_000);

  it.each(['u2net', 'birefnet-general'])('model %s: a full-range matte of the input\'s size', async (model) => {
    const img = await photo('portrait_astronaut.jpg');
    const ctx = pipelineContext(dir);
    const meta = await runBackgroundRemoval({ image_url: 'portrait_astronaut.jpg', model, output: 'mask' }, ctx);
    expect(meta).toMatchObject({ model, width: img.width, height: img.height });
    const out = await readResult(ctx.resultsDir, meta.file);
    expect([out.width, out.height, out.channels]).toEqual([img.width, img.height, 1]);
    // Min-max stretching makes the darkest foreground 255 and the brightest background 0 (up to the refinement).
    expect(out.data.reduce((a, v) => Math.max(a, v), 0)).toBeGreaterThan(240);
    expect(out.data.reduce((a, v) => Math.min(a, v), 255)).toBeLessThan(15);
  });
});
