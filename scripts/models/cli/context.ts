/** What every CLI verb needs: the models folder, the manifest and the registry over them. */
import { resolve } from 'node:path';
import { loadManifest, type Manifest, type ManifestEntry } from '../../../src/models/manifest.js';
import { createRegistry, type Registry } from '../../../src/models/registry.js';

export interface CliContext {
  modelsDir: string;
  manifest: Manifest;
  registry: Registry;
  /** Progress and status lines (stderr); results go to `out`. */
  err: (line: string) => void;
  out: (line: string) => void;
  /** Whether stderr is a terminal (progress redraws in place) or a log (periodic lines). */
  tty: boolean;
}

export class CliError extends Error {}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  tty: boolean;
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  tty: Boolean(process.stderr.isTTY),
};

export function createContext(io: CliIo = processIo): CliContext {
  const modelsDir = resolve(io.env.BACKSERV_MODELS_DIR ?? './models');
  const manifest = loadManifest();
  return { modelsDir, manifest, registry: createRegistry(modelsDir, manifest), err: io.err, out: io.out, tty: io.tty };
}

export function entryFor(ctx: CliContext, id: string | undefined): ManifestEntry {
  if (!id) throw new CliError('missing model id (see `npm run models -- list`)');
  const entry = ctx.manifest.models.find((m) => m.id === id);
  if (!entry) throw new CliError(`unknown model "${id}" (known: ${ctx.manifest.models.map((m) => m.id).join(', ')})`);
  return entry;
}
