/**
 * The API process imports the pipeline registry (params modules) to validate and document
 * requests, so what the registry pulls in must stay light: no npm package at all (onnxruntime-node,
 * sharp, ffmpeg wrappers…), no runtime/native/imaging/video code and no pipeline run code. Checked
 * on the static import closure of src/pipelines/registry.ts, type-only imports included.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');
// `import … from '…'`, `export … from '…'`, `import '…'`; never `import('…')`, which loads nothing up front.
const STATIC = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(join(SRC, file), 'utf8');
    for (const [, spec] of text.matchAll(STATIC)) {
      if (spec.startsWith('.')) visit(relative(SRC, resolve(dirname(join(SRC, file)), spec)).replace(/\.js$/, '.ts'));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('params modules are light', () => {
  const { files, packages } = closure('pipelines/registry.ts');

  it('reach every task type\'s params module (the reader is not blind)', () => {
    for (const p of ['image-creation', 'image-upscale', 'face-swap', 'video-creation']) expect(files).toContain(`pipelines/${p}/params.ts`);
  });

  it('import no npm package, only Node built-ins', () => {
    expect([...packages].filter((p) => !p.startsWith('node:'))).toEqual([]);
  });

  it('import no runtime, kernel, imaging or video code, and no pipeline run code', () => {
    const heavy = [...files].filter((f) => /^(runtime|native|imaging|video|results|store|workers)\//.test(f)
      || /^pipelines\/[^/]+\/(index|pipeline|sd-model|unet-loop|vae|model-info)\.ts$/.test(f)
      || /^pipelines\/image-creation\/schedulers\/(?!names\.ts)/.test(f));
    expect(heavy).toEqual([]);
  });
});
