/**
 * `bgremoval`: background removal on a 1 MP (1024×1024) portrait. The matte's refinement
 * (guided filter) native vs TypeScript, against plain bilinear upsampling as the baseline; the
 * selfie model run; and the whole matte (upsample + refine) per backend.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { convertTfjsSource } from '../src/models/convert/tfjs/index.js';
import { loadManifest } from '../src/models/manifest.js';
import { fallbackKernels, loadKernels } from '../src/native/index.js';
import { buildMatte, guidedSettings, luminance, upsampleBilinear } from '../src/pipelines/background-removal/matte.js';
import { segment } from '../src/pipelines/background-removal/segment.js';
import { SEGMENTERS } from '../src/pipelines/background-removal/segmenters.js';
import { benchSessions } from './sessions.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const PART = 'bgremoval';
const SIDE = 1024;

function selfiePath(): string {
  const installed = join(import.meta.dirname, '..', 'models', 'selfie-segmentation', 'model.onnx');
  if (existsSync(installed)) return installed;
  const entry = loadManifest().models.find((m) => m.id === 'selfie-segmentation');
  const out = join(mkdtempSync(join(tmpdir(), 'backserv-bench-selfie-')), 'model.onnx');
  writeFileSync(out, convertTfjsSource(entry?.convertFrom as string).onnx);
  return out;
}

export async function runBgremovalBench(opts: BenchOptions): Promise<BenchRow[]> {
  const reps = opts.quick ? 3 : 10;
  const file = join(import.meta.dirname, '..', 'test', 'fixtures', 'images', 'portrait_astronaut.jpg');
  const { data, info } = await sharp(file).resize(SIDE, SIDE).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const img = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const, hasAlpha: false };
  const sessions = benchSessions();
  const session = await sessions.get(selfiePath());
  const spec = SEGMENTERS['selfie-segmentation'];
  opts.progress(`${PART}: model`);
  const model = await interleave({ run: () => timeMs(() => segment(session, img, spec)) }, reps);
  const low = await segment(session, img, spec);

  const native = loadKernels();
  const luma = luminance(img);
  const up = upsampleBilinear(low.data, low.size, SIDE, SIDE);
  const { radius, eps } = guidedSettings(SIDE, SIDE, low.size);
  opts.progress(`${PART}: refinement`);
  const variants: Record<string, () => Promise<number>> = {
    bilinear: () => timeMs(() => upsampleBilinear(low.data, low.size, SIDE, SIDE)),
    ts: () => timeMs(() => fallbackKernels.guidedFilter(luma, up, SIDE, SIDE, radius, eps)),
    tsMatte: () => timeMs(() => buildMatte(img, low.data, low.size, fallbackKernels, { threshold: null, feather: 0 })),
  };
  if (native.backend === 'native') {
    variants.native = () => timeMs(() => native.guidedFilter(luma, up, SIDE, SIDE, radius, eps));
    variants.nativeMatte = () => timeMs(() => buildMatte(img, low.data, low.size, native, { threshold: null, feather: 0 }));
  }
  const t = await interleave(variants, reps);
  const base = summarize(t.bilinear).median;
  const row = (name: string, samples: number[], unit = 'ms/MP', baseline = true): BenchRow => {
    const s = summarize(samples);
    return { part: PART, name, unit, ...s, ...(baseline ? { baseline: 'bilinear upsample 256→1024²', ratio: s.median / base } : {}) };
  };
  const rows: BenchRow[] = [
    row('selfie model run (resize + 256² inference)', model.run, 'ms/image', false),
    row('bilinear upsample 256→1024²', t.bilinear, 'ms/MP', false),
    row(`guided filter r=${radius} (typescript)`, t.ts),
    row('matte: upsample + guided (typescript)', t.tsMatte),
  ];
  if (t.native) {
    rows.push(row(`guided filter r=${radius} (native)`, t.native));
    rows.push(row('matte: upsample + guided (native)', t.nativeMatte));
  }
  return rows;
}
