/**
 * A failed install must not leave an empty model folder behind (it would look like a broken
 * install to an operator); a folder that still holds a resumable `.part` file is kept.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Removes `dir` and the folders under it that hold no file; keeps anything with content. */
export function removeEmptyFolders(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeEmptyFolders(join(dir, e.name));
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}
