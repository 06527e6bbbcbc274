/**
 * Background removal on the fixture portraits with the real MediaPipe selfie model: the matte is
 * high on the person and low on the background (against hand-drawn coarse masks), its edges
 * follow the picture (guided refinement beats plain bilinear upsampling on an edge metric), and
 * each output mode writes what it says.
 */
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import { runBackgroundRemoval } from '../../src/pipelines/background-removal/index.js';
import { buildMatte, luminance } from '../../src/pipelines/background-removal/matte.js';
import { segment } from '../../src/pipelines/background-removal/segment.js';
import { SEGMENTERS } from '../../src/pipelines/background-removal/segmenters.js';
import { coarseMask, edgeAlignment, photo, pipelineContext, readResult, realModelsDir, regionStats, sessions } from './support.js';
import { join } from 'node:path';

const PORTRAITS = ['portrait_astronaut.jpg', 'lowres_bryan.png'];

async function run(params: Record<string, unknown>) {
  const ctx = pipelineContext(realModelsDir());
  const meta = await runBackgroundRemoval(params, ctx);
  return { meta, out: await readResult(ctx.resultsDir, meta.file) };
}

describe('background removal on the fixture portraits (real selfie model)', () => {
  it.each(PORTRAITS)('%s: alpha high on the person, low on the background', async (name) => {
    const img = await photo(name);
    const { meta, out } = await run({ image_url: name, output: 'mask' });
    expect([out.width, out.height, out.channels]).toEqual([img.width, img.height, 1]);
    expect(meta).toMatchObject({ model: 'selfie-segmentation', output: 'mask', width: img.width, height: img.height });
    const alpha = Array.from(out.data, (v) => v / 255);
    const coarse = await coarseMask(name, img.width, img.height);
    const person = regionStats(alpha, coarse, 255);
    const background = regionStats(alpha, coarse, 0);
    expect(person.mean, 'mean alpha on the person').toBeGreaterThan(0.9);
    expect(person.above, 'share of the person kept').toBeGreaterThan(0.95);
    expect(background.mean, 'mean alpha on the background').toBeLessThan(0.1);
    expect(background.above, 'share of the background kept').toBeLessThan(0.05);
  });

  it.each(PORTRAITS)('%s: guided refinement follows the picture\'s edges better than bilinear upsampling', async (name) => {
    const img = await photo(name);
    const session = await sessions.get(join(realModelsDir(), 'selfie-segmentation', 'model.onnx'));
    const low = await segment(session, img, SEGMENTERS['selfie-segmentation']);
    const kernels = loadKernels();
    const coarse = await coarseMask(name, img.width, img.height);
    const luma = luminance(img);
    const score = (refine: 'guided' | 'bilinear') =>
      edgeAlignment(buildMatte(img, low.data, low.size, kernels, { threshold: null, feather: 0, refine }), luma, coarse, img.width, img.height);
    const bilinear = score('bilinear');
    const guided = score('guided');
    console.log(`${name}: edge alignment bilinear ${bilinear.toFixed(3)}, guided ${guided.toFixed(3)}`);
    expect(guided - bilinear).toBeGreaterThan(0.03);
  });

  it('rgba: the picture unchanged with the matte as alpha (times the input\'s own alpha)', async () => {
    for (const name of PORTRAITS) {
      const img = await photo(name);
      const { out } = await run({ image_url: name });
      const { out: mask } = await run({ image_url: name, output: 'mask' });
      expect([out.width, out.height, out.channels]).toEqual([img.width, img.height, 4]);
      let rgbDiffs = 0;
      let alphaDiffs = 0;
      let partial = 0;
      for (let i = 0; i < img.width * img.height; i++) {
        for (let c = 0; c < 3; c++) if (out.data[i * 4 + c] !== img.data[i * img.channels + c]) rgbDiffs++;
        if (out.data[i * 4 + 3] !== mask.data[i]) alphaDiffs++;
        if (out.data[i * 4 + 3] > 0 && out.data[i * 4 + 3] < 255) partial++;
      }
      expect(rgbDiffs, name).toBe(0);
      expect(alphaDiffs, name).toBe(0);
      expect(partial, `${name}: a soft edge exists`).toBeGreaterThan(0);
    }
  });

  it('composite over a colour and over a picture: background pixels take the new background, the person keeps its own', async () => {
    const name = 'portrait_astronaut.jpg';
    const img = await photo(name);
    const coarse = await coarseMask(name, img.width, img.height);
    const { out: green } = await run({ image_url: name, output: 'composite', background: '#00ff00' });
    expect([green.width, green.height, green.channels]).toEqual([img.width, img.height, 3]);
    const bgImg = await photo('lowres_bryan.png');
    const { out: pic } = await run({ image_url: name, output: 'composite', background: 'lowres_bryan.png' });
    expect([pic.width, pic.height]).toEqual([img.width, img.height]);
    let greenBg = 0;
    let nBg = 0;
    let keptPerson = 0;
    let nPerson = 0;
    for (let i = 0; i < coarse.length; i++) {
      const px = [green.data[i * 3], green.data[i * 3 + 1], green.data[i * 3 + 2]];
      if (coarse[i] === 0) {
        nBg++;
        if (px[0] < 30 && px[1] > 225 && px[2] < 30) greenBg++;
      } else if (coarse[i] === 255) {
        nPerson++;
        const src = [0, 1, 2].map((c) => img.data[i * 3 + c]);
        if (Math.max(...src.map((v, c) => Math.abs(v - px[c]))) <= 8) keptPerson++;
      }
    }
    expect(greenBg / nBg).toBeGreaterThan(0.95);
    expect(keptPerson / nPerson).toBeGreaterThan(0.9);
    // Over a picture: the background region is no longer the flag/wall of the original.
    let changed = 0;
    for (let i = 0; i < coarse.length; i++) {
      if (coarse[i] !== 0) continue;
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(pic.data[i * pic.channels + c] - img.data[i * 3 + c])));
      if (d > 20) changed++;
    }
    expect(changed / nBg).toBeGreaterThan(0.5);
    expect(bgImg.width).toBe(115);
  });

  it('mask_threshold makes a hard cut softened only at edges; feather widens the soft band', async () => {
    const name = 'portrait_astronaut.jpg';
    const soft = (await run({ image_url: name, output: 'mask' })).out.data;
    const hard = (await run({ image_url: name, output: 'mask', mask_threshold: 0.5 })).out.data;
    const feathered = (await run({ image_url: name, output: 'mask', feather: 6 })).out.data;
    const partial = (d: Uint8Array) => d.filter((v) => v > 12 && v < 243).length;
    expect(hard.length).toBe(soft.length);
    expect(partial(feathered)).toBeGreaterThan(1.5 * partial(soft));
    // A hard cut has fewer in-between values than the model's own soft probabilities...
    expect(partial(hard)).toBeLessThan(partial(soft));
    // ...but is not binary: the guided filter still softens it along the edges.
    expect(partial(hard)).toBeGreaterThan(0);
  });
});
