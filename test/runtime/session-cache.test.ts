/** A model that cannot be loaded fails with a catalogued code and a message free of server paths. */
import { copyFileSync, mkdtempSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { chooseDevice, SessionCache } from '../../src/runtime/index.js';
import { TaskError } from '../../src/tasks/task-errors.js';

describe('SessionCache load failures', () => {
  it('names the model folder, not the absolute path, and keeps the runtime\'s words as the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-broken-model-'));
    mkdirSync(join(dir, 'broken-unet'));
    const file = join(dir, 'broken-unet', 'model.onnx');
    writeFileSync(file, 'this is not an ONNX protobuf');
    const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
    const err = await cache.get(file).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('model_load_failed');
    expect((err as TaskError).message).toBe(`The model ${dir.split('/').pop()}/broken-unet/model.onnx could not be loaded; ask the operator to reinstall it.`);
    expect((err as TaskError).message).not.toContain(tmpdir());
    expect(String(((err as TaskError).cause as Error).message)).toContain(file);
    // A failed load is not cached: a repaired file loads on the next try.
    copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'models', 'yunet_n_dynamic.onnx'), file);
    expect((await cache.get(file)).inputNames).toEqual(['input']);
  });
});

describe('SessionCache and replaced files', () => {
  it('a model file deleted and installed again with other content gets a new session, not the cached one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-replaced-model-'));
    const file = join(dir, 'model.onnx');
    copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'models', 'yunet_n_dynamic.onnx'), file);
    const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 });
    const first = await cache.get(file);
    expect(first.inputNames).toEqual(['input']);
    expect(await cache.get(file)).toBe(first); // unchanged file: the cached session
    // As an install does: the new file is written beside and renamed into place.
    copyFileSync(join(inject('testModelsDir'), 'realesrgan-x4plus', 'model.onnx'), `${file}.part`);
    renameSync(`${file}.part`, file);
    const second = await cache.get(file);
    expect(second).not.toBe(first);
    expect(second.outputNames).not.toEqual(first.outputNames);
  });
});
