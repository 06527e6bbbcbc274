/**
 * libvips settings for a process that runs tasks. sharp leaves libvips' operation cache on (up to
 * 50 MB, 20 files, 100 operations) so that repeating an operation on the same input is free. A
 * worker never repeats one: every task brings new pixels, so the cache only keeps the buffers of
 * past tasks alive and the worker's RSS climbs by up to its size (measured: the soak bench's
 * background-removal tasks grew about 3 MiB per 100 tasks with it, about 1 without). libvips'
 * cache is one per process, so setting it from any thread covers them all.
 */
import sharp from 'sharp';

export function disableLibvipsCache(): void {
  sharp.cache(false);
}
