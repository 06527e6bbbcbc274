/** What every `models` verb needs: the models folder, the manifest and the registry over them, and where to write. */
import { resolve } from 'node:path';
import { loadManifest, type Manifest, type ManifestEntry } from '../../models/manifest.js';
import { createRegistry, type Registry } from '../../models/registry.js';
import { UsageError } from './args.js';

/** A verb that could not do its job: the runner prints the message (and details) and exits 1. */
export class CliError extends Error {
  /** Lines printed after the one-line message, e.g. what to do by hand. */
  readonly details: readonly string[];

  constructor(message: string, details: readonly string[] = []) {
    super(message);
    this.details = details;
  }
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Results (stdout), one line per call. */
  out: (line: string) => void;
  /** Status, progress and errors (stderr), one line per call. */
  err: (line: string) => void;
  /** Raw stderr text without a newline: a progress bar redrawn in place on a terminal. */
  errRaw: (text: string) => void;
  /** Whether stderr is a terminal (progress redraws in place) or a log (plain periodic lines). */
  tty: boolean;
}

export interface CliContext extends CliIo {
  modelsDir: string;
  manifest: Manifest;
  registry: Registry;
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  errRaw: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

/**
 * `backserv models list | head` closes stdout early: end quietly, as other command-line tools do,
 * instead of crashing with an EPIPE stack trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

export function createContext(io: CliIo): CliContext {
  // Same default and variable as the server (src/config): both must look in one folder.
  const modelsDir = resolve(io.env.BACKSERV_MODELS_DIR || './models');
  // Same override as the server (BACKSERV_MODELS_MANIFEST), so both read one manifest.
  const manifest = io.env.BACKSERV_MODELS_MANIFEST ? loadManifest(resolve(io.env.BACKSERV_MODELS_MANIFEST)) : loadManifest();
  return { ...io, modelsDir, manifest, registry: createRegistry(modelsDir, manifest) };
}

export function entryFor(ctx: CliContext, id: string | undefined): ManifestEntry {
  if (!id) throw new UsageError('missing model id (see `backserv models list`)');
  const entry = ctx.manifest.models.find((m) => m.id === id);
  if (!entry) throw new UsageError(`unknown model "${id}" (known: ${ctx.manifest.models.map((m) => m.id).join(', ')})`);
  return entry;
}
