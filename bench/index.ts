/**
 * `npm run bench [-- NAME ...] [--quick] [--compare FILE]`: the one place speed is measured.
 * Each part reports figures next to a baseline measured in the same run; results go to the
 * terminal and to bench/results/*.json (machine, device, versions, median/min/max/n), and the
 * report ends with the goals table (goals.ts): goal | measured | holds?.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseDeviceSetting } from '../src/config/device-setting.js';
import { chooseDevice } from '../src/runtime/device.js';
import { evaluateGoals, printGoals } from './goals.js';
import { machineInfo, printTable, readResults, writeResults, type BenchFile } from './report.js';
import type { BenchOptions, BenchPart, BenchRow } from './types.js';

const PARTS: Record<string, () => Promise<BenchPart>> = {
  http: async () => (await import('./http.js')).runHttpBench,
  queue: async () => (await import('./queue.js')).runQueueBench,
  kernels: async () => (await import('./kernels.js')).runKernelsBench as BenchPart,
  upscale: async () => (await import('./upscale.js')).runUpscaleBench,
  diffusion: async () => (await import('./diffusion.js')).runDiffusionBench as BenchPart,
  faceswap: async () => (await import('./faceswap.js')).runFaceswapBench as BenchPart,
  video: async () => (await import('./video.js')).runVideoBench as BenchPart,
  restart: async () => (await import('./restart.js')).runRestartBench,
  compat: async () => (await import('./compat.js')).runCompatBench,
  bgremoval: async () => (await import('./bgremoval.js')).runBgremovalBench,
  tasks: async () => (await import('./tasks.js')).runTasksBench,
  soak: async () => (await import('./soak.js')).runSoakBench,
};

function versions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = {};
  for (const p of ['onnxruntime-node', 'piscina', 'koa', 'sharp', 'better-sqlite3']) {
    try {
      out[p] = (require(`${p}/package.json`) as { version: string }).version;
    } catch {
      out[p] = 'missing';
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const cmpIdx = args.indexOf('--compare');
  const compare = cmpIdx >= 0 ? args[cmpIdx + 1] : undefined;
  if (cmpIdx >= 0 && !compare) throw new Error('--compare needs a results file');
  const names = args.filter((a, i) => !a.startsWith('--') && (cmpIdx < 0 || i !== cmpIdx + 1));
  const selected = names.length ? names : Object.keys(PARTS);
  for (const n of selected) if (!PARTS[n]) throw new Error(`unknown bench part "${n}" (known: ${Object.keys(PARTS).join(', ')})`);

  const device = chooseDevice(parseDeviceSetting(process.env.BACKSERV_DEVICE));
  const opts: BenchOptions = { quick, progress: (msg) => process.stderr.write(`\r\x1b[K… ${msg}`) };
  const rows: BenchRow[] = [];
  for (const name of selected) {
    opts.progress(`${name}: starting`);
    try {
      const part = await PARTS[name]();
      rows.push(...(await part(opts)));
    } catch (err) {
      process.stderr.write(`\r\x1b[K${name}: skipped (${(err as Error).message})\n`);
    }
  }
  process.stderr.write('\r\x1b[K');
  const goals = evaluateGoals(rows, device.device);
  const file: BenchFile = { when: new Date().toISOString(), machine: machineInfo(), device: `${device.device} (${device.reason})`, versions: versions(), quick, rows, goals };
  console.log(`device: ${file.device}; ${file.machine.cores}× ${file.machine.cpus}; node ${file.machine.node}\n`);
  printTable(rows, compare ? readResults(compare).rows : undefined);
  printGoals(goals);
  console.log(`\nresults: ${writeResults(join(import.meta.dirname, 'results'), file)}`);
  // Parts may leave pools or Redis connections behind; the report is written, so end here.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
