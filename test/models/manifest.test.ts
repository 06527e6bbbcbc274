import { describe, expect, it } from 'vitest';
import { loadManifest, parseManifest, ManifestError } from '../../src/models/manifest.js';
import { TASK_TYPES } from '../../src/tasks/types.js';
import { FACE_ENHANCERS } from '../../src/pipelines/face-enhance/params.js';

const REQUIRED_IDS = ['realesrgan-x4fast', 'realesrgan-x4fast-int8', 'realesrgan-x4plus', 'facemesh', 'selfie-segmentation', 'sd-turbo', 'sd15', 'lcm-dreamshaper-v7', 'sdxl-base', 'sdxl-turbo', 'scrfd-10g', 'arcface-w600k-r50', 'inswapper-128', 'yunet', 'u2net', 'birefnet-general', 'gfpgan-1.4', 'codeformer'];

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

describe('models/manifest.json', () => {
  const manifest = loadManifest();

  it('has every required model once, with its files, licence and signature', () => {
    expect(manifest.models.map((m) => m.id).sort()).toEqual([...REQUIRED_IDS].sort());
    for (const m of manifest.models) {
      expect(m.files.length).toBeGreaterThan(0);
      expect(Object.keys(m.signature).length).toBeGreaterThan(0);
      expect(m.license.url).toMatch(/^https:\/\//);
    }
  });

  it('never carries a guessed checksum: unknown digests are null with size 0 or a note', () => {
    for (const m of manifest.models) {
      for (const f of m.files) {
        if (f.sha256 === null) expect(Boolean(f.note ?? m.note)).toBe(true);
        else expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });

  it('downloads point at https URLs; the non-commercial licences are marked', () => {
    const byId = new Map(manifest.models.map((m) => [m.id, m]));
    for (const m of manifest.models.filter((x) => x.source === 'download')) {
      // Hugging Face files, or a fixed GitHub release asset (rembg's ONNX exports).
      for (const f of m.files) expect(f.urls[0]).toMatch(/^https:\/\/(huggingface\.co\/.+\/resolve\/|github\.com\/[^/]+\/[^/]+\/releases\/download\/)/);
    }
    expect(byId.get('inswapper-128')?.license.nonCommercial).toBe(true);
    expect(byId.get('yunet')?.license.nonCommercial).toBe(false);
    expect(byId.get('inswapper-128')?.files[0].size).toBe(554253681);
  });

  it('lists roles for every task type with the offline upscaler first', () => {
    expect(Object.keys(manifest.tasks).sort()).toEqual([...TASK_TYPES].sort());
    expect(manifest.tasks.image_upscale[0].models).toEqual(['realesrgan-x4fast', 'realesrgan-x4plus', 'realesrgan-x4fast-int8']);
    expect(manifest.tasks.image_creation[0].models[0]).toBe('sd-turbo');
    expect(manifest.tasks.face_swap.map((r) => r.role)).toEqual(['swapper', 'embedder', 'detector', 'landmarks', 'enhancer']);
    // The inswapper pair is used when installed; face_swap runs offline (mesh engine) without it.
    // The face enhancer only when a request asks for face_enhance.
    expect(manifest.tasks.face_swap.filter((r) => r.optional).map((r) => r.role)).toEqual(['swapper', 'embedder', 'enhancer']);
    expect(manifest.tasks.image_upscale.map((r) => [r.role, r.optional ?? false])).toEqual([['upscaler', false], ['enhancer', true]]);
    // Background removal: the offline selfie model first; no AGPL weights among the candidates.
    expect(manifest.tasks.background_removal[0].models[0]).toBe('selfie-segmentation');
    for (const id of manifest.tasks.background_removal[0].models) {
      const m = manifest.models.find((x) => x.id === id);
      expect(m?.taskTypes, id).toContain('background_removal');
      expect(m?.license.name, id).not.toMatch(/GPL/i);
      expect(m?.license.nonCommercial, id).toBe(false);
    }
  });

  it('face enhancers: the enhancer role lists FACE_ENHANCERS; CodeFormer is flagged non-commercial; no GPL', () => {
    for (const type of ['face_swap', 'image_upscale'] as const) {
      expect(manifest.tasks[type].find((r) => r.role === 'enhancer')?.models).toEqual([...FACE_ENHANCERS]);
    }
    const byId = new Map(manifest.models.map((m) => [m.id, m]));
    expect(byId.get('codeformer')?.license).toMatchObject({ nonCommercial: true, name: expect.stringMatching(/S-Lab License 1\.0/) });
    expect(byId.get('gfpgan-1.4')?.license).toMatchObject({ nonCommercial: false, name: expect.stringMatching(/^Apache-2\.0/) });
    for (const id of FACE_ENHANCERS) {
      expect(byId.get(id)?.license.name).not.toMatch(/GPL/i);
      expect(byId.get(id)?.signature['model.onnx'].inputs[0]).toEqual({ name: 'input', dtype: 'float32', rank: 4 });
    }
    expect(byId.get('codeformer')?.signature['model.onnx'].inputs[1]).toEqual({ name: 'weight', dtype: 'float64', rank: 1 });
  });

  it('rejects broken manifests with a message naming the problem', () => {
    const bad1 = clone(manifest) as unknown as { models: { files: { sha256: string | null }[] }[] };
    bad1.models[0].files[0].sha256 = 'abc';
    expect(() => parseManifest(bad1)).toThrow(ManifestError);
    const bad2 = clone(manifest);
    bad2.tasks.face_swap[2].models.push('no-such-model');
    expect(() => parseManifest(bad2)).toThrow(/unknown model "no-such-model"/);
    const bad3 = clone(manifest);
    bad3.models.push(clone(bad3.models[0]));
    expect(() => parseManifest(bad3)).toThrow(/duplicate model id/);
    const bad4 = clone(manifest) as unknown as { models: { layout: string }[] };
    bad4.models[1].layout = 'zip';
    expect(() => parseManifest(bad4)).toThrow(/layout/);
  });
});
