/** Result files are written under a temp name and renamed, so a served file is never partial. */
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeResultFile(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
