/**
 * The closing table of a bench report: each performance goal of the issues (#16, #17, #18), what
 * this run measured for it, and whether it holds, so one look says where the project stands. A
 * goal reads the rows its bench part printed; a part that did not run leaves it "not measured",
 * a figure flagged too noisy is never counted as holding, and a goal set for a GPU is reported,
 * not judged, on a CPU run.
 */
import type { BenchRow } from './types.js';

export interface GoalLine {
  goal: string;
  measured: string;
  holds: 'yes' | 'NO' | 'not measured' | 'too noisy' | 'GPU goal: CPU run';
}

interface Goal {
  goal: string;
  gpuOnly?: boolean;
  /** The rows it reads (null: not measured in this run) and whether the figure meets the goal. */
  check(find: (part: string, name: RegExp) => BenchRow | undefined): { rows: BenchRow[]; measured: string; ok: boolean } | null;
}

const f2 = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
const spread = (r: BenchRow) => `median of n=${r.n}, ${f2(r.min)}–${f2(r.max)} ${r.unit}`;

/** A goal on a row's ratio to its baseline. */
function ratioGoal(goal: string, part: string, name: RegExp, ok: (ratio: number) => boolean, describe: (ratio: number) => string, gpuOnly = false): Goal {
  return {
    goal, gpuOnly,
    check(find) {
      const r = find(part, name);
      if (!r || r.ratio === undefined) return null;
      return { rows: [r], measured: `${describe(r.ratio)} (${f2(r.median)} ${r.unit}, ${spread(r)})`, ok: ok(r.ratio) };
    },
  };
}

/** A goal on a row's median. */
function medianGoal(goal: string, part: string, name: RegExp, ok: (median: number) => boolean): Goal {
  return {
    goal,
    check(find) {
      const r = find(part, name);
      if (!r) return null;
      return { rows: [r], measured: `${f2(r.median)} ${r.unit} (${spread(r)})`, ok: ok(r.median) };
    },
  };
}

/** upscale vs upscayl-bin at one size: the speed-up is upscayl's ms/MP over ours; the default model or the opt-in int8 one. */
function upscaylGoal(side: number, model: 'x4fast' | 'x4fast-int8'): Goal {
  const label = model === 'x4fast' ? '' : ' (x4fast-int8, opt-in)';
  return ratioGoal(`#18 upscale ≥ 60× upscayl-bin at ${side}²${label}`, 'upscale', new RegExp(`^pipeline ${model} ${side}²$`), (r) => 1 / r >= 60, (r) => `${f2(1 / r)}× faster`);
}

const GOALS: Goal[] = [
  ratioGoal('#18 submit ≥ 0.5× bare Koa (every 202 durable)', 'http', /^submit_task$/, (r) => r >= 0.5, (r) => `${f2(r)}× bare Koa`),
  ratioGoal('#18 query ≥ 0.7× bare Koa', 'http', /^query_task$/, (r) => r >= 0.7, (r) => `${f2(r)}× bare Koa`),
  ratioGoal('#18 query p99, all workers busy ≤ 2× idle', 'http', /^query p99 \(workers busy\)$/, (r) => r <= 2, (r) => `${f2(r)}× idle`),
  ratioGoal('#18 embedded no-op round trip ≤ 2× raw Piscina', 'queue', /^embedded no-op round trip$/, (r) => r <= 2, (r) => `${f2(r)}× raw Piscina`),
  upscaylGoal(115, 'x4fast'),
  upscaylGoal(512, 'x4fast'),
  upscaylGoal(115, 'x4fast-int8'),
  upscaylGoal(512, 'x4fast-int8'),
  // The service's default tiling (tile "auto": sized from the input and the memory budget), as the issue asks.
  ratioGoal('#18 tiled upscale ≤ 1.1× one raw session run at 512²', 'upscale', /^pipeline x4fast 512² \(tile auto\)$/, (r) => r <= 1.1, (r) => `${f2(r)}× raw session`),
  ratioGoal('#18 diffusion batch 4 vs 1: images/s ≥ 2.5× (GPU)', 'diffusion', /^batch 4, /, (r) => r >= 2.5, (r) => `${f2(r)}× 4 × batch 1`, true),
  {
    goal: '#18 worker RSS growth per 100 tasks: flat within noise',
    check(find) {
      const r = find('soak', /^worker RSS growth per 100 tasks/);
      if (!r) return null;
      // Flat: the fit finds no growth, or cannot tell it from noise (a quarter of the pair slopes or more ≤ 0).
      const flat = r.median <= 0 || (r.interval !== undefined && r.interval[0] <= 0);
      const mid = r.interval ? `, middle half ${f2(r.interval[0])}…${f2(r.interval[1])}` : '';
      return { rows: [], measured: `${f2(r.median)} ${r.unit} (Theil–Sen, ${r.n} samples${mid})`, ok: flat };
    },
  },
  ratioGoal('#16 batch 4 vs 4 × batch 1 ≥ 1.5× (GPU)', 'diffusion', /^batch 4, /, (r) => r >= 1.5, (r) => `${f2(r)}×`, true),
  medianGoal('#16 live preview ≤ 2 % of a step', 'diffusion', /^preview on the loop thread, /, (m) => m <= 2),
  ratioGoal('#16 img2img at strength 0.5 ≈ 0.5× txt2img', 'diffusion', /^img2img strength 0\.5, /, (r) => Math.abs(r - 0.5) <= 0.1, (r) => `${f2(r)}× txt2img`),
  medianGoal('#17 mesh engine per face at 1080p ≤ 40 ms', 'faceswap', /^mesh engine per face, landmarks incl\. \(native\)$/, (m) => m <= 40),
];

export function evaluateGoals(rows: readonly BenchRow[], device: string): GoalLine[] {
  const gpu = /^(cuda|tensorrt)/.test(device);
  const find = (part: string, name: RegExp) => rows.find((r) => r.part === part && name.test(r.name));
  return GOALS.map((g): GoalLine => {
    const c = g.check(find);
    if (!c) return { goal: g.goal, measured: '—', holds: 'not measured' };
    if (g.gpuOnly && !gpu) return { goal: g.goal, measured: c.measured, holds: 'GPU goal: CPU run' };
    if (c.rows.some((r) => r.noisy)) return { goal: g.goal, measured: c.measured, holds: 'too noisy' };
    return { goal: g.goal, measured: c.measured, holds: c.ok ? 'yes' : 'NO' };
  });
}

export function printGoals(lines: readonly GoalLine[]): void {
  const table = [['goal', 'measured', 'holds?'], ...lines.map((l) => [l.goal, l.measured, l.holds])];
  const widths = [0, 1].map((i) => Math.max(...table.map((l) => l[i].length)));
  console.log('\ngoals');
  for (const [i, l] of table.entries()) {
    console.log(`${l[0].padEnd(widths[0])} | ${l[1].padEnd(widths[1])} | ${l[2]}`);
    if (i === 0) console.log(`${'-'.repeat(widths[0])}-|-${'-'.repeat(widths[1])}-|-------`);
  }
}
