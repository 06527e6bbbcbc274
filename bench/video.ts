/**
 * `video`: the frame → ffmpeg path against ffmpeg encoding the same raw frames from a file
 * (same arguments, input `-i FILE` instead of `pipe:0`), in frames/s; target ≥ 0.9×. Then the
 * whole video_creation pipeline on the sd-turbo test model: the share of wall time spent
 * generating frames, waiting for ffmpeg to take them, and waiting for it to finish. The test
 * model makes frames in milliseconds, so the ffmpeg shares here are an upper bound: with real
 * weights a frame takes seconds and ffmpeg keeps up trivially.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModels } from '../test/support/make-test.js';
import { createRegistry } from '../src/models/registry.js';
import { loadKernels } from '../src/native/index.js';
import type { PipelineContext } from '../src/pipelines/types.js';
import { runVideoCreation } from '../src/pipelines/video-creation/index.js';
import { SessionCache, chooseDevice, parseDeviceSetting } from '../src/runtime/index.js';
import { locateFfmpeg } from '../src/video/locate-ffmpeg.js';
import { encoderArgs, Mp4Encoder, type Mp4EncoderOptions } from '../src/video/mp4-encoder.js';
import type { WorkerEnv } from '../src/pipelines/worker-env.js';
import { interleave, summarize } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

/** Moving, textured frames: x264 gets real work, unlike flat colour. */
function makeFrames(w: number, h: number, n: number): Uint8Array[] {
  let s = 12345;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const o = (y * w + x) * 3;
        f[o] = (x + 2 * i + ((s >>> 28) & 7)) & 255;
        f[o + 1] = (y + i + 64 * Math.sin((x + i) / 17)) & 255;
        f[o + 2] = ((x ^ y) + 3 * i) & 255;
      }
    }
    frames.push(f);
  }
  return frames;
}

function runFfmpeg(path: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err.slice(-500)}`))));
  });
}

async function encodePaths(ffmpegPath: string, size: number, count: number, reps: number, opts: BenchOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-bench-video-'));
  try {
    const frames = makeFrames(size, size, count);
    const raw = join(dir, 'frames.rgb');
    writeFileSync(raw, Buffer.concat(frames));
    const base: Mp4EncoderOptions = { ffmpegPath, width: size, height: size, fps: 8, outFile: join(dir, 'pipe.mp4') };
    const fileArgs = encoderArgs({ ...base, outFile: join(dir, 'file.mp4') }, join(dir, 'file.mp4')).map((a) => (a === 'pipe:0' ? raw : a));
    opts.progress(`video: encode ${count} frames at ${size}², pipe vs file`);
    const t = await interleave({
      pipe: async () => {
        const t0 = performance.now();
        const enc = new Mp4Encoder(base);
        for (const f of frames) await enc.write(f);
        await enc.finish();
        return performance.now() - t0;
      },
      file: async () => {
        const t0 = performance.now();
        await runFfmpeg(ffmpegPath, fileArgs);
        return performance.now() - t0;
      },
    }, reps);
    const fps = (ms: number[]) => summarize(ms.map((x) => (count * 1000) / x));
    const file = fps(t.file);
    const pipe = fps(t.pipe);
    const label = `${count} frames ${size}², libx264 medium`;
    const baseName = `ffmpeg from a raw file, ${label}`;
    return [
      { part: 'video', name: baseName, unit: 'frames/s', ...file },
      { part: 'video', name: `frames → ffmpeg stdin, ${label}`, unit: 'frames/s', ...pipe, baseline: baseName, ratio: pipe.median / file.median },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pipelineShares(size: number, duration: number, reps: number, opts: BenchOptions): Promise<BenchRow[]> {
  const models = mkdtempSync(join(tmpdir(), 'backserv-bench-video-models-'));
  const results = mkdtempSync(join(tmpdir(), 'backserv-bench-video-results-'));
  try {
    await makeTestModels(models, ['sd-turbo']);
    const ctx: PipelineContext = {
      ticketId: 'bench',
      signal: new AbortController().signal,
      progress: () => undefined,
      sessions: new SessionCache({ device: chooseDevice(parseDeviceSetting(process.env.BACKSERV_DEVICE)), intraOpThreads: 1 }, 8),
      kernels: loadKernels(),
      models: createRegistry(models),
      resultsDir: results,
      env: {} as WorkerEnv, // video_creation reads no worker tuning
      loadImage: () => Promise.reject(new Error('video_creation loads no images')),
    };
    const params = { prompt: 'a lighthouse in a storm', duration, fps: 8, width: size, height: size, seed: 1 };
    opts.progress(`video: pipeline ${duration * 8} frames at ${size}² (sd-turbo test model)`);
    await runVideoCreation(params, ctx); // warm-up: sessions load
    const shares = { generate: [] as number[], wait: [] as number[], finish: [] as number[], fps: [] as number[] };
    for (let r = 0; r < reps; r++) {
      const t = (await runVideoCreation(params, ctx)).timings as Record<string, number>;
      shares.generate.push((100 * t.generate_ms) / t.total_ms);
      shares.wait.push((100 * t.ffmpeg_wait_ms) / t.total_ms);
      shares.finish.push((100 * t.finish_ms) / t.total_ms);
      shares.fps.push((duration * 8 * 1000) / t.total_ms);
    }
    const label = `${duration * 8} frames ${size}², sd-turbo test model`;
    return [
      { part: 'video', name: `pipeline, ${label}`, unit: 'frames/s', ...summarize(shares.fps) },
      { part: 'video', name: `share generating frames, ${label}`, unit: '% wall', ...summarize(shares.generate) },
      { part: 'video', name: `share waiting for ffmpeg to take frames, ${label}`, unit: '% wall', ...summarize(shares.wait) },
      { part: 'video', name: `share waiting for ffmpeg to finish, ${label}`, unit: '% wall', ...summarize(shares.finish) },
    ];
  } finally {
    rmSync(models, { recursive: true, force: true });
    rmSync(results, { recursive: true, force: true });
  }
}

export async function runVideoBench(opts: BenchOptions): Promise<BenchRow[]> {
  const ffmpeg = locateFfmpeg();
  opts.progress(`video: ffmpeg ${ffmpeg.path} (${ffmpeg.source})`);
  const rows: BenchRow[] = [];
  if (opts.quick) {
    rows.push(...(await encodePaths(ffmpeg.path, 256, 48, 2, opts)));
    rows.push(...(await pipelineShares(128, 2, 2, opts)));
  } else {
    rows.push(...(await encodePaths(ffmpeg.path, 512, 120, 4, opts)));
    rows.push(...(await pipelineShares(256, 4, 3, opts)));
  }
  return rows;
}
