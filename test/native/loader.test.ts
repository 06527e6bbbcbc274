import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDON_PATH, loadNativeKernels } from '../../src/native/addon.js';
import { nativeWanted } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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

  it('a missing addon is an error for loadNativeKernels', () => {
    expect(() => loadNativeKernels(`${ROOT}native/does-not-exist.node`)).toThrow(/does-not-exist/);
  });
});
