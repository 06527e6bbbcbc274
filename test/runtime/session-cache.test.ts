/** A model that cannot be loaded fails with a catalogued code and a message free of server paths. */
import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
