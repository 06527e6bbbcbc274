/**
 * The hires fix through the real pipeline: the output has the scaled size on both upscaler paths
 * (latents; pixels through the installed realesrgan-x4fast test model), the second pass runs at
 * the large size with its own step count in the progress, SDXL's second pass gets the large
 * size's time_ids, and a cancel during the second pass stops the task.
 */
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { runImageCreation } from '../../src/pipelines/image-creation/index.js';
import { hiresSchedule } from '../../src/pipelines/image-creation/hires-params.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';
import type { Tensor } from '../../src/runtime/index.js';
import { CancelledError } from '../../src/tasks/task-errors.js';
import { makeTestModels } from '../support/make-test.js';
import { pipelineContext, sessions } from './support.js';

let dir: string;
const env = { upscale: { tile: 64, pad: 8, maxOutputPixels: 16_000_000 } } as WorkerEnv;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'backserv-hires-models-'));
  symlinkSync(join(inject('testModelsDir'), 'sd-turbo'), join(dir, 'sd-turbo'), 'dir');
  await makeTestModels(dir, ['sdxl-turbo', 'realesrgan-x4fast']);
});

/** Records the `sample` dims (and time_ids when fed) of every run of a session. */
async function spy(path: string) {
  const session = await sessions.get(path);
  const runs: { dims: number[]; timeIds: number[] | null }[] = [];
  const original = session.run.bind(session);
  const s = vi.spyOn(session, 'run').mockImplementation(((feeds: Record<string, Tensor>, ...rest: unknown[]) => {
    const first = Object.values(feeds)[0];
    runs.push({ dims: [...(feeds.sample ?? first).dims], timeIds: feeds.time_ids ? Array.from(feeds.time_ids.data as Float32Array) : null });
    return (original as (...a: unknown[]) => ReturnType<typeof session.run>)(feeds, ...rest);
  }) as typeof session.run);
  return { runs, restore: () => s.mockRestore() };
}

async function create(params: Record<string, unknown>, over: Partial<PipelineContext> = {}) {
  const ctx = pipelineContext(dir, { env, ...over });
  const result = await runImageCreation(params, ctx);
  const { data, info } = await sharp(readFileSync(join(ctx.resultsDir, result.file))).raw().toBuffer({ resolveWithObject: true });
  return { result, pixels: data, width: info.width, height: info.height };
}

describe('hires fix', () => {
  it('the schedule runs exactly hires.steps steps at any strength', () => {
    for (const steps of [1, 2, 3, 7, 10, 30]) {
      for (const strength of [0.05, 0.3, 0.5, 0.7, 0.75, 1]) {
        const total = hiresSchedule(steps, strength);
        expect(Math.floor(total * strength), `${steps} @ ${strength}`).toBe(steps);
      }
    }
  });

  it('latent upscaler: 64² → 96² at scale 1.5, the second pass at the large size, progress counting both passes', async () => {
    const unet = await spy(join(dir, 'sd-turbo', 'unet', 'model.onnx'));
    const progress: [number, number][] = [];
    let run;
    try {
      run = await create({ prompt: 'a castle', width: 64, height: 64, steps: 2, seed: 3, hires: { scale: 1.5, steps: 3, strength: 0.6 } }, { progress: (d, t) => progress.push([d, t]) });
    } finally {
      unet.restore();
    }
    expect([run.width, run.height]).toEqual([96, 96]);
    expect(run.result).toMatchObject({ width: 96, height: 96, hires: { scale: 1.5, steps: 3, strength: 0.6, upscaler: 'latent', base_width: 64, base_height: 64 } });
    expect(unet.runs.map((r) => r.dims.slice(2))).toEqual([[8, 8], [8, 8], [12, 12], [12, 12], [12, 12]]);
    // 2 first-pass steps + 3 second-pass steps + the decode.
    expect(progress.at(-1)).toEqual([6, 6]);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);
  });

  it('pixel upscaler: decodes, runs the installed realesrgan-x4fast, encodes at 128² and denoises there', async () => {
    const up = await spy(join(dir, 'realesrgan-x4fast', 'model.onnx'));
    let pixel, latent;
    try {
      pixel = await create({ prompt: 'a castle', width: 64, height: 64, steps: 2, seed: 3, hires: { scale: 2, steps: 2, upscaler: 'realesrgan-x4fast' } });
    } finally {
      up.restore();
    }
    latent = await create({ prompt: 'a castle', width: 64, height: 64, steps: 2, seed: 3, hires: { scale: 2, steps: 2 } });
    expect([pixel.width, pixel.height]).toEqual([128, 128]);
    expect([latent.width, latent.height]).toEqual([128, 128]);
    expect(pixel.result).toMatchObject({ hires: { upscaler: 'realesrgan-x4fast' } });
    // The 64² first pass went through the ×4 model (tiles of 64 px: one tile).
    expect(up.runs.length).toBeGreaterThanOrEqual(1);
    expect(up.runs[0].dims.slice(2)).toEqual([64, 64]);
    let diff = 0;
    for (let i = 0; i < pixel.pixels.length; i++) diff += Math.abs(pixel.pixels[i] - latent.pixels[i]);
    expect(diff / pixel.pixels.length).toBeGreaterThan(1);
  });

  it('SDXL: the second pass is conditioned on the large size (time_ids)', async () => {
    const unet = await spy(join(dir, 'sdxl-turbo', 'unet', 'model.onnx'));
    let run;
    try {
      run = await create({ model: 'sdxl-turbo', prompt: 'a castle', width: 64, height: 64, steps: 1, seed: 3, hires: { scale: 2, steps: 1, strength: 0.5 } });
    } finally {
      unet.restore();
    }
    expect([run.width, run.height]).toEqual([128, 128]);
    expect(unet.runs.map((r) => r.timeIds)).toEqual([[64, 64, 0, 0, 64, 64], [128, 128, 0, 0, 128, 128]]);
  });

  it('a cancel during the second pass ends the task between steps', async () => {
    const ac = new AbortController();
    const unet = await spy(join(dir, 'sd-turbo', 'unet', 'model.onnx'));
    try {
      await expect(create({ prompt: 'a castle', width: 64, height: 64, steps: 1, seed: 3, hires: { scale: 2, steps: 4 } }, {
        signal: ac.signal,
        progress: (done) => {
          if (done === 2) ac.abort();
        },
      })).rejects.toBeInstanceOf(CancelledError);
    } finally {
      unet.restore();
    }
    // One first-pass step and one second-pass step ran; the other three did not.
    expect(unet.runs.length).toBe(2);
  });
});
