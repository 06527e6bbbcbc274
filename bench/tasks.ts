/**
 * `tasks`: what a user waits for, per task type, on the models an offline install has (the
 * converted Real-ESRGAN x4fast, YuNet + FaceMesh, MediaPipe selfie segmentation): submit over
 * HTTP to `Completed`, through the real queue and worker host. These are the README's "what to
 * expect" timings. x2 is compared with x4 on the same input: the model always runs ×4, then the
 * result is resized, so the two cost about the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { startBenchService } from './service-fixture.js';
import { summarize } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const PART = 'tasks';
const IMAGES = join(import.meta.dirname, '..', 'test', 'fixtures', 'images');
const MODELS = join(import.meta.dirname, '..', 'models');

const uri = (buf: Buffer, type: string) => `data:${type};base64,${buf.toString('base64')}`;

async function inputs() {
  const portrait = readFileSync(join(IMAGES, 'portrait_astronaut.jpg'));
  return {
    bryan: uri(readFileSync(join(IMAGES, 'lowres_bryan.png')), 'image/png'),
    square512: uri(await sharp(portrait).resize(512, 512).png().toBuffer(), 'image/png'),
    portrait: uri(portrait, 'image/jpeg'),
    group: uri(readFileSync(join(IMAGES, 'group_apollo11.jpg')), 'image/jpeg'),
  };
}

/** Submits one task and resolves with the milliseconds until it is Completed. */
async function timeTask(base: string, task_type: string, task_params: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${base}/submit_task`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task_type, task_params, user_id: 'bench' }),
  });
  const { ticket_id } = (await res.json()) as { ticket_id: string };
  if (res.status !== 202) throw new Error(`${task_type}: submit answered ${res.status}`);
  for (;;) {
    const view = (await (await fetch(`${base}/query_task/${ticket_id}`)).json()) as { status: string; error_info?: string };
    if (view.status === 'Completed') return performance.now() - t0;
    if (view.status === 'Failed' || view.status === 'Cancelled') throw new Error(`${task_type}: ${view.status} ${view.error_info ?? ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function runTasksBench(opts: BenchOptions): Promise<BenchRow[]> {
  const reps = opts.quick ? 2 : 5;
  const img = await inputs();
  const svc = await startBenchService({ BACKSERV_MODELS_DIR: MODELS });
  const base = svc.url;
  const cases: { name: string; type: string; params: Record<string, unknown>; baseline?: string }[] = [
    { name: 'image_upscale x4 115²', type: 'image_upscale', params: { image_url: img.bryan, scale_factor: 4 } },
    { name: 'image_upscale x4 512²', type: 'image_upscale', params: { image_url: img.square512, scale_factor: 4 } },
    { name: 'image_upscale x2 512²', type: 'image_upscale', params: { image_url: img.square512, scale_factor: 2 }, baseline: 'image_upscale x4 512²' },
    { name: 'face_swap mesh, 3 faces (group photo)', type: 'face_swap', params: { source_image: img.portrait, target_image: img.group, engine: 'mesh', target_faces: 'all' } },
    { name: 'background_removal selfie (portrait)', type: 'background_removal', params: { image_url: img.portrait } },
  ];
  try {
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (const c of cases) await timeTask(base, c.type, c.params); // warm-up: sessions load once
    for (let r = 0; r < reps; r++) {
      for (const c of cases) {
        opts.progress(`${PART}: ${c.name} (${r + 1}/${reps})`);
        samples.get(c.name)!.push(await timeTask(base, c.type, c.params));
      }
    }
    const medians = new Map(cases.map((c) => [c.name, summarize(samples.get(c.name)!).median]));
    return cases.map((c) => ({
      part: PART, name: c.name, unit: 'ms', ...summarize(samples.get(c.name)!),
      ...(c.baseline ? { baseline: c.baseline, ratio: medians.get(c.name)! / medians.get(c.baseline)! } : {}),
    }));
  } finally {
    await svc.close();
  }
}
