/**
 * The video share of `faceswap`: face_swap on a target_video with the offline mesh engine (YuNet
 * + FaceMesh) against ffmpeg alone on the same clip through the same pipes (the FrameReader
 * decoding into this process, frames handed straight to the Mp4Encoder, no swap). Rows: faces/s
 * and frames/s of the pipeline, frames/s of decode+encode alone, and the overlap: the share of
 * the pipeline's wall time its swap loop spent waiting on ffmpeg (decoder behind, encoder not
 * taking a frame, final flush) against the share decode+encode alone would add as separate
 * phases; and wall / (swap + decode+encode alone), which is below 1 only where spare cores let
 * ffmpeg run beside the swap (on a saturated machine both share the same CPU). The goal: the
 * swap, not ffmpeg, is the bottleneck.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../src/models/registry.js';
import { loadKernels } from '../src/native/index.js';
import { decodeImage } from '../src/imaging/decode.js';
import { runFaceSwap } from '../src/pipelines/face-swap/index.js';
import type { PipelineContext } from '../src/pipelines/types.js';
import type { WorkerEnv } from '../src/pipelines/worker-env.js';
import { benchSessions } from './sessions.js';
import { FrameReader } from '../src/video/frame-reader.js';
import { locateFfmpeg } from '../src/video/locate-ffmpeg.js';
import { Mp4Encoder } from '../src/video/mp4-encoder.js';
import { probeInputVideo } from '../src/video/probe-input.js';
import { summarize } from './stats.js';
import type { BenchRow } from './types.js';

const PORTRAIT = join(import.meta.dirname, '..', 'test', 'fixtures', 'images', 'portrait_astronaut.jpg');

/** The fixture portrait as a clip with small random shifts per frame and a sine audio track. */
function makeClip(ffmpeg: string, dir: string, side: number, frames: number, fps: number): string {
  const out = join(dir, 'clip.mp4');
  const vf = `scale=${side + 8}:${side + 8},crop=${side}:${side}:4+6*(random(0)-0.5):4+6*(random(1)-0.5)`;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', String(fps), '-i', PORTRAIT,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${frames / fps}`, '-vf', vf, '-frames:v', String(frames),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make the bench clip: ${r.stderr}`);
  return out;
}

/** Decode → encode through the pipeline's own pipes, nothing in between: ms. */
async function passthrough(ffmpeg: string, clip: string, out: string): Promise<number> {
  const t0 = performance.now();
  const v = await probeInputVideo(ffmpeg, clip, 'clip');
  const reader = new FrameReader({ ffmpegPath: ffmpeg, file: clip, width: v.width, height: v.height, maxFrames: v.frames, field: 'clip' });
  const encoder = new Mp4Encoder({ ffmpegPath: ffmpeg, width: v.width, height: v.height, fps: v.fps, outFile: out, audio: { file: clip, copy: true } });
  for (let f = await reader.next(); f; f = await reader.next()) await encoder.write(f);
  await encoder.finish();
  await reader.close();
  return performance.now() - t0;
}

export async function videoSwapRows(part: string, quick: boolean, progress: (m: string) => void): Promise<BenchRow[]> {
  const modelsDir = process.env.BACKSERV_MODELS_DIR ?? join(import.meta.dirname, '..', 'models');
  const models = createRegistry(modelsDir);
  if (!models.resolveAll('face_swap')?.landmarks) return [];
  const ffmpeg = locateFfmpeg().path;
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bench-vswap-'));
  try {
    const side = quick ? 256 : 512, frames = quick ? 24 : 75, fps = 25, reps = quick ? 2 : 3;
    const clip = makeClip(ffmpeg, dir, side, frames, fps);
    const source = await decodeImage(readFileSync(PORTRAIT), { maxPixels: 50_000_000, field: 'source_image' });
    const ctx: PipelineContext = {
      ticketId: 'bench-vswap',
      signal: new AbortController().signal,
      progress: () => undefined,
      sessions: benchSessions(),
      kernels: loadKernels(),
      models,
      resultsDir: dir,
      env: {} as WorkerEnv, // face_swap reads no worker tuning
      loadImage: () => Promise.resolve(source),
      loadVideoBytes: (ref) => Promise.resolve(readFileSync(ref)),
    };
    const params = { source_image: 'portrait', target_video: clip, engine: 'mesh' };
    progress(`faceswap: video, ${frames} frames ${side}² (mesh engine) vs ffmpeg decode+encode alone`);
    await runFaceSwap(params, ctx); // warm-up: sessions load
    const s = { facesPerS: [] as number[], fps: [] as number[], alone: [] as number[], overlap: [] as number[], swapShare: [] as number[],
      waitShare: [] as number[], aloneShare: [] as number[] };
    for (let r = 0; r < reps; r++) {
      const aloneMs = await passthrough(ffmpeg, clip, join(dir, 'alone.mp4'));
      const res = await runFaceSwap(params, ctx);
      const t = res.timings as Record<string, number>;
      const wallMs = t.total_ms - t.fetch_ms - t.prepare_ms; // from the probe on, as the passthrough
      s.facesPerS.push(((res.faces_swapped as number) * 1000) / t.swap_ms);
      s.fps.push((frames * 1000) / wallMs);
      s.alone.push((frames * 1000) / aloneMs);
      s.overlap.push(wallMs / (t.swap_ms + aloneMs));
      s.swapShare.push((100 * t.swap_ms) / wallMs);
      // What the swap loop waited on ffmpeg for (a frame to decode, a frame to be taken, the final flush)…
      s.waitShare.push((100 * (t.decode_wait_ms + t.ffmpeg_wait_ms + t.finish_ms)) / wallMs);
      // …against what decode+encode would add if they ran as phases before and after the swap.
      s.aloneShare.push((100 * aloneMs) / wallMs);
    }
    const label = `${frames} frames ${side}², mesh`;
    const alone = { part, name: `video: ffmpeg decode+encode alone, ${label.replace(', mesh', '')}`, unit: 'frames/s', ...summarize(s.alone) };
    return [
      { part, name: `video: swap, ${label}`, unit: 'faces/s', ...summarize(s.facesPerS) },
      { part, name: `video: pipeline, ${label}`, unit: 'frames/s', ...summarize(s.fps), baseline: alone.name, ratio: summarize(s.fps).median / alone.median },
      alone,
      { part, name: `video: share of wall in the swap, ${label}`, unit: '% wall', ...summarize(s.swapShare) },
      { part, name: `video: share of wall waiting on ffmpeg, ${label}`, unit: '% wall', ...summarize(s.waitShare), baseline: `video: decode+encode alone as a share of the pipeline's wall, ${label}`,
        ratio: summarize(s.waitShare).median / summarize(s.aloneShare).median },
      { part, name: `video: decode+encode alone as a share of the pipeline's wall, ${label}`, unit: '% wall', ...summarize(s.aloneShare) },
      { part, name: `video: wall / (swap + decode+encode alone), ${label}`, unit: 'ratio', ...summarize(s.overlap) },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
