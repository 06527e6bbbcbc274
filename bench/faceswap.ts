/**
 * `faceswap`: per-face costs of face_swap at a 1080p target (the group photo scaled to
 * 1920×1080, three faces of ~170 px), split into the model runs and the CPU work around them
 * (detector letterbox, head decoding + NMS, 128 alignment warp, swapper output → u8, feathered
 * paste-back), with the native kernels and the TypeScript fallback side by side. The issue's
 * target: CPU-side work ≤ 10 ms per face at 1080p. Then the offline mesh engine per face
 * (faceswap-mesh.ts; goal ≤ 40 ms per face, landmarks included).
 *
 * Models: the installed ones under BACKSERV_MODELS_DIR (default ./models) when present, else
 * the signature-exact test models (their run times then say nothing about the real models).
 * Standalone: `npx tsx bench/faceswap.ts [--quick]`.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { makeTestModels } from '../test/support/make-test.js';
import { createRegistry } from '../src/models/registry.js';
import { fallbackKernels, loadKernels } from '../src/native/index.js';
import type { Kernels, Normalization } from '../src/native/types.js';
import { detectFaces } from '../src/pipelines/face-swap/detect.js';
import { loadEmap } from '../src/pipelines/face-swap/emap.js';
import { faceEmbedding } from '../src/pipelines/face-swap/embed.js';
import { letterbox } from '../src/pipelines/face-swap/letterbox.js';
import { nms } from '../src/pipelines/face-swap/nms.js';
import { pasteBack } from '../src/pipelines/face-swap/paste-back.js';
import { alignForSwap, runSwapper, swapLatent, SWAP_SIZE } from '../src/pipelines/face-swap/swap.js';
import type { Face } from '../src/pipelines/face-swap/types.js';
import { decodeYunet, YUNET_STRIDES } from '../src/pipelines/face-swap/yunet-decode.js';
import type { DecodedImage } from '../src/imaging/decoded-image.js';
import { tensor, type Session } from '../src/runtime/index.js';
import { benchSessions } from './sessions.js';
import { meshEngineRows } from './faceswap-mesh.js';
import { videoSwapRows } from './faceswap-video.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchRow } from './types.js';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'images');
const YUNET_NORM: Normalization = { mean: [0, 0, 0], std: [1, 1, 1], bgr: true };
const PART = 'faceswap';

/** The harness's BenchOptions, with `progress` optional for standalone runs. */
export interface FaceswapBenchOptions {
  quick: boolean;
  progress?: (msg: string) => void;
}

async function frame1080p(): Promise<DecodedImage> {
  const { data, info } = await sharp(join(FIXTURES, 'group_apollo11.jpg')).resize(1920, 1080, { fit: 'cover', kernel: 'lanczos3' })
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, hasAlpha: false };
}

async function portrait(): Promise<DecodedImage> {
  const { data, info } = await sharp(join(FIXTURES, 'portrait_astronaut.jpg')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, hasAlpha: false };
}

/** Swapper and embedder: installed ones if present, else test models generated now. */
async function faceModelPaths(): Promise<{ swapper: string; embedder: string; real: boolean }> {
  const reg = createRegistry(process.env.BACKSERV_MODELS_DIR ?? join(import.meta.dirname, '..', 'models'));
  const swapper = reg.resolveId('inswapper-128');
  const embedder = reg.resolveId('arcface-w600k-r50');
  if (swapper && embedder && !reg.isTestModel('inswapper-128')) {
    return { swapper: join(swapper.dir, 'model.onnx'), embedder: join(embedder.dir, 'model.onnx'), real: true };
  }
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bench-face-'));
  await makeTestModels(dir, ['inswapper-128', 'arcface-w600k-r50']);
  return { swapper: join(dir, 'inswapper-128', 'model.onnx'), embedder: join(dir, 'arcface-w600k-r50', 'model.onnx'), real: false };
}

async function yunetOutputs(session: Session, lb: { tensor: Float32Array; width: number; height: number }) {
  const out = await session.run({ [session.inputNames[0]]: tensor('float32', lb.tensor, [1, 3, lb.height, lb.width]) });
  return YUNET_STRIDES.map((stride) => ({
    stride,
    cls: out[`cls_${stride}`].data as Float32Array,
    obj: out[`obj_${stride}`].data as Float32Array,
    bbox: out[`bbox_${stride}`].data as Float32Array,
    kps: out[`kps_${stride}`].data as Float32Array,
  }));
}

export async function runFaceswapBench(opts: FaceswapBenchOptions): Promise<BenchRow[]> {
  const progress = opts.progress ?? (() => undefined);
  const sessions = benchSessions();
  const yunetPath = join(import.meta.dirname, '..', 'models', 'yunet', 'model.onnx');
  if (!existsSync(yunetPath)) throw new Error(`bundled YuNet missing at ${yunetPath}`);
  const yunet = await sessions.get(yunetPath);
  const paths = await faceModelPaths();
  const [swapper, embedder] = await Promise.all([sessions.get(paths.swapper), sessions.get(paths.embedder)]);
  const emap = loadEmap(paths.swapper);
  const native = loadKernels();
  const backends: Kernels[] = native.backend === 'native' ? [native, fallbackKernels] : [fallbackKernels];
  const reps = opts.quick ? 5 : 20;
  const target = await frame1080p();
  const source = await portrait();

  progress('faceswap: detecting and embedding');
  const faces: Face[] = await detectFaces(target, { kind: 'yunet', session: yunet }, native);
  if (faces.length === 0) throw new Error('YuNet found no face in the 1080p frame');
  const [srcFace] = await detectFaces(source, { kind: 'yunet', session: yunet }, native);
  const latent = swapLatent(await faceEmbedding(embedder, source, srcFace, native), emap);
  const lb = letterbox(target, native, 640, 'round32', YUNET_NORM);
  const levels = await yunetOutputs(yunet, lb);
  const crops = faces.map((f) => alignForSwap(target, f, native));
  const swapped = await Promise.all(crops.map((c) => runSwapper(swapper, c, latent)));
  const frame = Uint8Array.from(target.data);

  progress('faceswap: model runs');
  const models = await interleave({
    yunet: () => timeMs(() => yunetOutputs(yunet, lb)),
    swapper: async () => (await runSwapper(swapper, crops[0], latent)).inferenceMs,
    swapTotal: () => timeMs(() => runSwapper(swapper, crops[0], latent)),
  }, reps);
  // The test swapper is tiny: its run time says nothing about the real model's.
  const swapName = paths.real ? 'inswapper run' : 'inswapper run (TEST model)';
  const rows: BenchRow[] = [
    { part: PART, name: 'yunet run 1080p→640×384', unit: 'ms/image', ...summarize(models.yunet) },
    { part: PART, name: swapName, unit: 'ms/face', ...summarize(models.swapper) },
  ];
  // The swapper call minus the model run: tensor wrapping and f32 → u8 of the 128² output.
  const outputCpu = models.swapTotal.map((t, i) => Math.max(0, t - models.swapper[i]));
  rows.push({ part: PART, name: 'swap output → u8 (cpu)', unit: 'ms/face', ...summarize(outputCpu) });

  const perFace = new Map<string, number[]>();
  for (const k of backends) {
    progress(`faceswap: CPU steps (${k.backend})`);
    const t = await interleave({
      letterbox: () => timeMs(() => letterbox(target, k, 640, 'round32', YUNET_NORM)),
      decode: () => timeMs(() => nms(decodeYunet(levels, lb.width, lb.height, 0.9), 0.3, false)),
      align: () => timeMs(() => alignForSwap(target, faces[0], k)),
      paste: () => timeMs(() => pasteBack(frame, target.width, target.height, 3, swapped[0].rgb, SWAP_SIZE, swapped[0].m, k)),
    }, reps);
    const s = {
      letterbox: summarize(t.letterbox), decode: summarize(t.decode), align: summarize(t.align), paste: summarize(t.paste),
    };
    // Detection is per image: its CPU share is spread over the faces found.
    perFace.set(k.backend, t.align.map((a, i) => a + t.paste[i] + outputCpu[i % outputCpu.length] + (t.letterbox[i] + t.decode[i]) / faces.length));
    rows.push(
      { part: PART, name: `detect letterbox 1080p (${k.backend})`, unit: 'ms/image', ...s.letterbox },
      { part: PART, name: `detect decode+NMS (${k.backend})`, unit: 'ms/image', ...s.decode },
      { part: PART, name: `align 128 crop (${k.backend})`, unit: 'ms/face', ...s.align },
      { part: PART, name: `paste-back 1080p (${k.backend})`, unit: 'ms/face', ...s.paste },
    );
  }
  // Native rows get the fallback as baseline (ratio = native / fallback).
  if (backends.length === 2) {
    for (const r of rows) {
      if (!r.name.endsWith('(native)')) continue;
      const base = rows.find((b) => b.name === r.name.replace('(native)', '(typescript)'));
      if (base) Object.assign(r, { baseline: base.name, ratio: r.median / base.median });
    }
  }
  // The target for this row: ≤ 10 ms per face.
  for (const [backend, samples] of perFace) {
    rows.push({ part: PART, name: `cpu per face, ${faces.length} faces at 1080p (${backend})`, unit: 'ms/face', ...summarize(samples) });
  }
  progress('faceswap: mesh engine');
  rows.push(...await meshEngineRows(PART, sessions, target, faces, source, srcFace, native, backends, reps));
  rows.push(...await videoSwapRows(PART, opts.quick, progress));
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const rows = await runFaceswapBench({ quick, progress: (m) => process.stderr.write(`… ${m}\n`) });
  for (const r of rows) {
    const ratio = r.ratio !== undefined ? `  ×${r.ratio.toFixed(2)} vs ${r.baseline}` : '';
    console.log(`${r.name.padEnd(42)} ${r.median.toFixed(2).padStart(9)} ${r.unit.padEnd(9)} [${r.min.toFixed(2)}–${r.max.toFixed(2)}, n=${r.n}]${ratio}`);
  }
}
