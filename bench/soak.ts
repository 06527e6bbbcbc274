/**
 * `soak`: does a worker's memory grow with the tasks it runs? A real embedded service (one worker
 * host process, no recycling) runs ≥ 500 mixed tasks (upscale, text-to-image, background removal
 * on the signature-exact test models) submitted over HTTP in batches; after each batch the
 * worker's RSS is read from /metrics (backserv_worker_rss_bytes, what an operator sees). The first
 * batch (models load, arenas grow to their working size) is left out; a robust line (Theil–Sen)
 * through the rest gives the growth per 100 tasks. Goal: flat within noise. `--quick`: 150 tasks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModels } from '../test/support/make-test.js';
import { startBenchService } from './service-fixture.js';
import { fitSlope, summarize } from './stats.js';
import type { BenchOptions, BenchRow } from './types.js';

const PART = 'soak';
const IMAGE = `data:image/png;base64,${readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'images', 'lowres_bryan.png')).toString('base64')}`;

/** The mix, in rotation: small inputs, so 500 tasks take about a minute on a small CPU. */
const MIX: { task_type: string; task_params: (i: number) => Record<string, unknown> }[] = [
  { task_type: 'image_upscale', task_params: () => ({ image_url: IMAGE }) },
  { task_type: 'image_creation', task_params: (i) => ({ prompt: `soak ${i}`, width: 64, height: 64, steps: 2, seed: i }) },
  { task_type: 'background_removal', task_params: () => ({ image_url: IMAGE }) },
];

async function workerRss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^backserv_worker_rss_bytes\{[^}]*worker="0"[^}]*\} (\S+)$/m.exec(text);
  if (!m) throw new Error('no backserv_worker_rss_bytes for worker 0 in /metrics');
  return Number(m[1]) / 2 ** 20;
}

/** BENCH_SOAK_MIX: a comma list of task types to run only those (which kind grows?); all three when unset. */
function chosenMix(): typeof MIX {
  const wanted = process.env.BENCH_SOAK_MIX?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!wanted?.length) return MIX;
  const unknown = wanted.filter((w) => !MIX.some((m) => m.task_type === w));
  if (unknown.length) throw new Error(`BENCH_SOAK_MIX names ${unknown.join(', ')}; the soak knows ${MIX.map((m) => m.task_type).join(', ')}`);
  return MIX.filter((m) => wanted.includes(m.task_type));
}

export async function runSoakBench(opts: BenchOptions): Promise<BenchRow[]> {
  const mix = chosenMix();
  // BENCH_SOAK_TASKS: a longer soak when a slope needs confirming (the default keeps the bench short).
  const total = Number(process.env.BENCH_SOAK_TASKS) || (opts.quick ? 150 : 510);
  const batch = opts.quick ? 15 : 30;
  const models = mkdtempSync(join(tmpdir(), 'backserv-bench-soak-models-'));
  await makeTestModels(models, ['realesrgan-x4plus', 'sd-turbo', 'selfie-segmentation']);
  const svc = await startBenchService({ BACKSERV_MODELS_DIR: models, BACKSERV_WORKERS: '1', BACKSERV_INTRA_OP_THREADS: '1' });
  try {
    const points: [number, number][] = [];
    const failed: Record<string, number> = {};
    const t0 = performance.now();
    for (let done = 0; done < total; done += batch) {
      opts.progress(`soak: ${done}/${total} tasks`);
      const tickets = await Promise.all(Array.from({ length: batch }, async (_, k) => {
        const kind = mix[(done + k) % mix.length];
        const res = await fetch(`${svc.url}/submit_task`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ task_type: kind.task_type, task_params: kind.task_params(done + k), user_id: `soak${k % 3}` }),
        });
        if (res.status !== 202) throw new Error(`soak submit answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { ticket_id: string }).ticket_id;
      }));
      await svc.scheduler.whenIdle();
      for (const t of tickets) {
        const rec = await svc.store.get(t);
        if (rec?.status === 'Completed') continue;
        const key = `${rec?.task_type}: ${rec?.status} ${rec?.error_code ?? ''}`.trim();
        failed[key] = (failed[key] ?? 0) + 1;
      }
      // The first batch (models load, arenas reach their working size) is the warm-up.
      if (done > 0) points.push([done + batch, await workerRss(svc.url)]);
      // BENCH_SOAK_SERIES=1: the series itself on stderr, to see whether it levels off or keeps climbing.
      if (process.env.BENCH_SOAK_SERIES === '1' && done > 0) process.stderr.write(`soak series: ${done + batch} tasks ${points.at(-1)![1].toFixed(1)} MiB\n`);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (Object.keys(failed).length) throw new Error(`soak tasks did not complete: ${JSON.stringify(failed)}`);
    const fit = fitSlope(points.map(([x, y]) => [x / 100, y]));
    const rss = summarize(points.map((p) => p[1]));
    const kinds = mix.length === MIX.length ? 'mixed' : mix.map((m) => m.task_type).join(' + ');
    const one = (name: string, unit: string, v: number): BenchRow => ({ part: PART, name, unit, median: v, min: v, max: v, n: 1 });
    return [
      one(`${kinds} tasks/s, ${total} tasks, 1 worker`, 'tasks/s', total / seconds),
      { part: PART, name: `worker RSS after each batch of ${batch} (warm-up batch left out)`, unit: 'MiB', ...rss },
      {
        part: PART, name: `worker RSS growth per 100 tasks, ${total} ${kinds} tasks`, unit: 'MiB/100 tasks',
        // A fall is flagged too: memory cannot shrink steadily as tasks run, so it is noise.
        median: fit.slope, min: fit.min, max: fit.max, n: fit.n, noisy: fit.slope < 0, interval: [fit.q1, fit.q3],
        note: `Theil–Sen over ${fit.n} samples; min/max: extreme pair slopes; middle half ${fit.q1.toFixed(2)}…${fit.q3.toFixed(2)}${fit.noisy ? ' (sign unsettled: flat within noise)' : ''}`,
      },
    ];
  } finally {
    await svc.close();
    // Test models are made afresh for every soak: none may pile up in the temp folder.
    rmSync(models, { recursive: true, force: true });
  }
}
