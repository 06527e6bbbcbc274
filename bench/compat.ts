/**
 * `compat`: what a synchronous compat call costs against the seed API's own way of getting
 * the same image. One txt2img round trip (POST /sdapi/v1/txt2img, waits, answers base64) vs
 * submit_task + polling query_task + GET of the result file, for the same small task on the
 * sd-turbo test model. Two baselines: polling without pause (the fastest a poller can be: the
 * ratio is the compat layer's overhead) and polling every 100 ms (a typical client: the ratio
 * shows the poll interval the synchronous call saves).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModels } from '../test/support/make-test.js';
import { startBenchService } from './service-fixture.js';
import { interleave, summarize, timeMs } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const PARAMS = { prompt: 'bench', width: 64, height: 64, steps: 1 };

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function submitAndPoll(base: string, seed: number, pollMs: number): Promise<void> {
  const { ticket_id: ticket } = await postJson(`${base}/submit_task`, { task_type: 'image_creation', task_params: { ...PARAMS, seed }, user_id: 'bench' });
  for (;;) {
    const view = (await (await fetch(`${base}/query_task/${String(ticket)}`)).json()) as { status: string; result_info: string | null };
    if (view.status === 'Completed') {
      await (await fetch(view.result_info!)).arrayBuffer();
      return;
    }
    if (view.status === 'Failed' || view.status === 'Cancelled') throw new Error(`bench task ${view.status}`);
    if (pollMs > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function runCompatBench(opts: BenchOptions): Promise<BenchRow[]> {
  const models = mkdtempSync(join(tmpdir(), 'backserv-bench-compat-models-'));
  await makeTestModels(models, ['sd-turbo']);
  const svc = await startBenchService({ BACKSERV_MODELS_DIR: models, BACKSERV_WORKERS: '1' });
  let seed = 0;
  try {
    opts.progress('compat: sync txt2img vs submit + poll');
    const reps = opts.quick ? 10 : 40;
    const s = await interleave({
      sync: async () => timeMs(async () => {
        const r = await postJson(`${svc.url}/sdapi/v1/txt2img`, { ...PARAMS, seed: ++seed });
        if (!Array.isArray(r.images) || r.images.length !== 1) throw new Error('txt2img returned no image');
      }),
      tight: async () => timeMs(() => submitAndPoll(svc.url, ++seed, 0)),
      poll100: async () => timeMs(() => submitAndPoll(svc.url, ++seed, 100)),
    }, reps);
    const row = (name: string, samples: number[], baseline?: string, base?: number[]): BenchRow => {
      const m = summarize(samples);
      return { part: 'compat', name, unit: 'ms', ...m, ...(baseline ? { baseline, ratio: m.median / summarize(base!).median } : {}) };
    };
    return [
      row('submit + poll without pause', s.tight),
      row('submit + poll every 100 ms', s.poll100),
      row('A1111 txt2img (sync) vs tight poll', s.sync, 'submit + poll without pause', s.tight),
      row('A1111 txt2img (sync) vs 100 ms poll', s.sync, 'submit + poll every 100 ms', s.poll100),
    ];
  } finally {
    await svc.close();
  }
}
