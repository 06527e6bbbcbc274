import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDON_PATH, loadNativeKernels } from '../../src/native/addon.js';
import { nativeWanted } from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('loadKernels', () => {
  const saved = process.env.BACKSERV_NATIVE;
  afterEach(() => {
    if (saved === undefined) delete process.env.BACKSERV_NATIVE;
    else process.env.BACKSERV_NATIVE = saved;
    vi.resetModules();
  });

  it('resolves the addon relative to the package root', () => {
    expect(ADDON_PATH).toBe(`${ROOT}native/backserv_native.node`);
  });

  it.skipIf(!nativeWanted)('gives the native backend when the addon is built, once per thread', async () => {
    expect(existsSync(ADDON_PATH), `${ADDON_PATH} missing: run npm run build:native`).toBe(true);
    const { loadKernels, nativeLoadError } = await import('../../src/native/index.js');
    const k = loadKernels();
    expect(nativeLoadError()).toBeUndefined();
    expect(k.backend).toBe('native');
    expect(loadKernels()).toBe(k);
  });

  it('BACKSERV_NATIVE=0 forces the TypeScript fallback', async () => {
    process.env.BACKSERV_NATIVE = '0';
    vi.resetModules();
    const { loadKernels, fallbackKernels } = await import('../../src/native/index.js');
    expect(loadKernels().backend).toBe('typescript');
    expect(loadKernels()).toBe(fallbackKernels);
  });

  it.skipIf(!nativeWanted)('the addon also loads and runs in worker threads (as the pool uses it)', async () => {
    // Two workers plus this thread, each with its own Node-API environment.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData);
      const out = new Uint8Array(3);
      addon.nchwToHwc(Float32Array.of(0.5, 1.5, 2.5), 1, 1, 3, 1, 0, false, out);
      parentPort.postMessage(Array.from(out));`;
    const run = (): Promise<number[]> => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: ADDON_PATH });
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(await Promise.all([run(), run()])).toEqual([[0, 2, 2], [0, 2, 2]]);
  });

  it('a missing addon is an error for loadNativeKernels', () => {
    expect(() => loadNativeKernels(`${ROOT}native/does-not-exist.node`)).toThrow(/does-not-exist/);
  });
});
