/** Every file a result names: the primary one, then any further images (image_creation's batch_size lists them in `images`). */
import type { ResultMeta } from './types.js';

export function resultFiles(result: ResultMeta): string[] {
  const files = [result.file];
  if (Array.isArray(result.images)) {
    for (const img of result.images as { file?: unknown }[]) if (typeof img.file === 'string' && !files.includes(img.file)) files.push(img.file);
  }
  return files;
}
