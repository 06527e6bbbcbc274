import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp, { type CacheResult } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { disableLibvipsCache } from '../../src/imaging/libvips-settings.js';

// sharp's defaults, restored so other tests in this process see the library as it ships.
const DEFAULTS = { memory: 50, files: 20, items: 100 };

async function encodeDistinct(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const px = Buffer.alloc(32 * 32 * 3, i);
    await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).resize(16, 16).png().toBuffer();
  }
}

describe('libvips cache in a worker', () => {
  afterAll(() => { sharp.cache(DEFAULTS); });

  it('left at sharp\'s default, past operations stay cached (what grew the worker\'s RSS)', async () => {
    sharp.cache(DEFAULTS);
    await encodeDistinct(20);
    const stats = sharp.cache();
    // sharp reports memory in whole MB: tiny test images round to 0, so count the operations.
    expect(stats.items.current).toBeGreaterThan(0);
  });

  it('disabled: nothing from past tasks is kept, and nothing can be', async () => {
    sharp.cache(DEFAULTS);
    await encodeDistinct(5);
    disableLibvipsCache();
    await encodeDistinct(20);
    const stats = sharp.cache();
    expect(stats.items).toEqual({ current: 0, max: 0 });
    expect(stats.memory.current).toBe(0);
    expect(stats.memory.max).toBe(0);
  });
});

describe('a pool worker thread', () => {
  it('turns the cache off as its entry module loads, before any task', async () => {
    // The real entry module Piscina loads, in a real thread, loaded through tsx as the pool does from sources.
    const probe = join(import.meta.dirname, '..', 'support', 'libvips-cache-probe.mjs');
    const worker = new Worker(probe);
    try {
      const stats = await new Promise<CacheResult>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(stats.items.max).toBe(0);
      expect(stats.memory.max).toBe(0);
      expect(stats.files.max).toBe(0);
    } finally {
      await worker.terminate();
    }
  });
});
