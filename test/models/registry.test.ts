import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, PRECISION_MARKER } from '../../src/models/registry.js';
import { loadManifest, PROJECT_MODELS_DIR } from '../../src/models/manifest.js';
import { makeTestModels } from '../support/make-test.js';

const manifest = loadManifest();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'backserv-registry-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes a model's files with their listed sizes (or 1 byte each when `truncated`). */
function placeFiles(root: string, id: string, truncated = false): void {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) throw new Error(id);
  for (const f of entry.files) {
    const p = join(root, id, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, !truncated && f.size > 0 ? Buffer.alloc(f.size) : 'x');
  }
}

describe('model registry', () => {
  it('on an empty models dir only the bundled detector is found; every task says how to install', () => {
    const reg = createRegistry(tempDir(), manifest);
    const a = reg.availability();
    expect(a.image_upscale.available).toBe(false);
    expect(a.image_upscale.installCommand).toBe('npx backserv models convert realesrgan-x4fast');
    expect(a.image_creation.installCommand).toBe('npx backserv models download sd-turbo --accept-license');
    expect(a.face_swap.available).toBe(false);
    // The inswapper pair is optional: what face_swap lacks here is FaceMesh for the offline engine.
    expect(a.face_swap.installCommand).toBe('npx backserv models convert facemesh');
    expect(a.face_swap.models.find((m) => m.id === 'yunet')?.installed).toBe(true);
    expect(reg.resolve('image_upscale')).toBeNull();
    expect(reg.resolveId('yunet')?.dir).toBe(join(PROJECT_MODELS_DIR, 'yunet'));
  });

  it('prefers realesrgan-x4fast over x4plus, and honours an installed requested id', () => {
    const root = tempDir();
    placeFiles(root, 'realesrgan-x4plus');
    const reg = createRegistry(root, manifest);
    expect(reg.resolve('image_upscale')?.id).toBe('realesrgan-x4plus');
    placeFiles(root, 'realesrgan-x4fast');
    // No caching: files placed while running are seen at once.
    expect(reg.resolve('image_upscale')).toEqual({ id: 'realesrgan-x4fast', dir: join(root, 'realesrgan-x4fast'), memoryPerInputPixel: 1536 });
    expect(reg.resolve('image_upscale', 'realesrgan-x4plus')?.id).toBe('realesrgan-x4plus');
    expect(reg.resolve('image_upscale', 'sd-turbo')?.id).toBe('realesrgan-x4fast');
    const a = reg.availability().image_upscale;
    expect(a).toEqual({
      available: true,
      models: [
        { id: 'realesrgan-x4fast', installed: true },
        { id: 'realesrgan-x4plus', installed: true },
        { id: 'realesrgan-x4fast-int8', installed: false },
        // The optional enhancer role (face_enhance), not installed here.
        { id: 'gfpgan-1.4', installed: false },
        { id: 'codeformer', installed: false },
      ],
      installCommand: '',
    });
  });

  it('a model missing one file, or with a truncated file of known size, is not installed', () => {
    const root = tempDir();
    placeFiles(root, 'sd15');
    rmSync(join(root, 'sd15', 'unet', 'weights.pb'));
    placeFiles(root, 'inswapper-128', true); // 1-byte file where 554,253,681 are listed
    placeFiles(root, 'arcface-w600k-r50');
    const reg = createRegistry(root, manifest);
    expect(reg.availability().image_creation.available).toBe(false);
    expect(reg.resolveId('inswapper-128')).toBeNull();
    expect(reg.resolveId('arcface-w600k-r50')).not.toBeNull();
    placeFiles(root, 'sd15');
    expect(reg.resolve('image_creation')?.id).toBe('sd15');
    expect(reg.resolve('video_creation')?.id).toBe('sd15');
  });

  it('after a precision conversion: rewritten files may change size, side files it removed are not required', () => {
    const root = tempDir();
    placeFiles(root, 'sd15');
    placeFiles(root, 'inswapper-128');
    const reg = createRegistry(root, manifest);
    // `convert sd15 --fp16` rewrites unet/model.onnx with its weights in unet/model.onnx.data.
    rmSync(join(root, 'sd15', 'unet', 'weights.pb'));
    expect(reg.resolveId('sd15')).toBeNull();
    writeFileSync(join(root, 'sd15', PRECISION_MARKER), JSON.stringify({ precision: 'fp16', converted: ['unet/model.onnx'], removed: ['unet/weights.pb'] }));
    expect(reg.resolveId('sd15')).not.toBeNull();
    // inswapper's listed size is 554,253,681 bytes; converted to fp16 it is about half.
    writeFileSync(join(root, 'inswapper-128', 'model.onnx'), Buffer.alloc(1000));
    expect(reg.resolveId('inswapper-128')).toBeNull();
    writeFileSync(join(root, 'inswapper-128', PRECISION_MARKER), JSON.stringify({ precision: 'fp16', converted: ['model.onnx'], removed: [] }));
    expect(reg.resolveId('inswapper-128')).not.toBeNull();
    // A missing rewritten file still means not installed.
    rmSync(join(root, 'inswapper-128', 'model.onnx'));
    expect(reg.resolveId('inswapper-128')).toBeNull();
  });

  it('face_swap needs a detector and FaceMesh, uses swapper and embedder when installed; SCRFD wins over the bundled YuNet', async () => {
    const root = tempDir();
    const reg = createRegistry(root, manifest);
    expect(reg.resolveAll('face_swap')).toBeNull();
    await makeTestModels(root, ['facemesh']);
    expect(reg.resolveAll('face_swap')).toEqual({ detector: { id: 'yunet', dir: join(PROJECT_MODELS_DIR, 'yunet') }, landmarks: { id: 'facemesh', dir: join(root, 'facemesh') } });
    expect(reg.availability().face_swap.available).toBe(true);
    expect(reg.resolve('face_swap')).toBeNull();
    await makeTestModels(root, ['inswapper-128', 'arcface-w600k-r50']);
    const all = reg.resolveAll('face_swap');
    expect(all?.swapper.id).toBe('inswapper-128');
    expect(all?.embedder.id).toBe('arcface-w600k-r50');
    expect(all?.detector.id).toBe('yunet');
    expect(reg.resolve('face_swap')?.id).toBe('inswapper-128');
    expect(reg.isTestModel('inswapper-128')).toBe(true);
    await makeTestModels(root, ['scrfd-10g']);
    expect(reg.resolveAll('face_swap')?.detector.id).toBe('scrfd-10g');
  });

  it('resolveRole finds one role without the others: the enhancer asked for (or the first installed), the detector alone', async () => {
    const root = tempDir();
    const reg = createRegistry(root, manifest);
    expect(reg.resolveAll('face_swap')).toBeNull(); // no FaceMesh
    expect(reg.resolveRole('face_swap', 'detector')?.id).toBe('yunet');
    expect(reg.resolveRole('image_upscale', 'enhancer')).toBeNull();
    await makeTestModels(root, ['codeformer']);
    expect(reg.resolveRole('image_upscale', 'enhancer')?.id).toBe('codeformer');
    expect(reg.resolveRole('image_upscale', 'enhancer', 'gfpgan-1.4')).toBeNull(); // named: that one or nothing
    await makeTestModels(root, ['gfpgan-1.4']);
    expect(reg.resolveRole('face_swap', 'enhancer')?.id).toBe('gfpgan-1.4');
    expect(reg.resolveRole('face_swap', 'enhancer', 'codeformer')).toEqual({ id: 'codeformer', dir: join(root, 'codeformer') });
    expect(reg.resolveRole('face_swap', 'enhancer', 'sd-turbo')?.id).toBe('gfpgan-1.4'); // not a candidate of the role: ignored
    expect(reg.resolveRole('image_upscale', 'no-such-role')).toBeNull();
    expect(reg.availability().image_upscale.available).toBe(false); // optional roles never make a task available
  });

  it('make-test output counts as installed for every task type', async () => {
    const root = tempDir();
    await makeTestModels(root);
    const reg = createRegistry(root, manifest);
    const a = reg.availability();
    for (const t of ['image_creation', 'image_upscale', 'face_swap', 'video_creation'] as const) expect(a[t].available).toBe(true);
    expect(reg.resolve('image_creation')?.id).toBe('sd-turbo');
    // A test folder with a file deleted is no longer installed.
    rmSync(join(root, 'sd-turbo', 'unet', 'model.onnx'));
    expect(reg.availability().image_creation.available).toBe(false);
  });
});
