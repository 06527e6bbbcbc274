/**
 * Server-side model management (POST /models/:id/install, DELETE /models/:id): downloads a
 * model's files from its manifest URLs (resumable .part files, size and sha256 checked before a
 * file is put in place) or runs its converter, one install at a time, and publishes each step as
 * an InstallState event for /events/models/:id. The registry reads the disk on every call, so a
 * model is usable as soon as its last file is renamed into place; `changed` tells caches that
 * hold availability to drop it.
 */
import { EventEmitter } from 'node:events';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, notFound } from '../../tasks/errors.js';
import { convertEntryInto } from '../convert/convert-entry.js';
import { downloadFile, DownloadError } from '../download/download-file.js';
import type { ManifestEntry, ManifestFile } from '../manifest.js';
import { TEST_MODEL_MARKER, type Registry } from '../registry.js';
import { removeEmptyFolders } from './empty-folders.js';
import { idleState, type InstallState } from './install-state.js';
import { sourceRefusal } from './source-policy.js';

export interface InstallerOptions {
  modelsDir: string;
  registry: Registry;
  /** BACKSERV_MODELS_ALLOW_HTTP: http:// to loopback hosts allowed (tests, development). */
  allowLoopbackHttp: boolean;
  /** Resumes of a cut connection within one install before it fails (the next install resumes again). */
  retries?: number;
  /** Least time between two progress events of one file (ms). */
  progressIntervalMs?: number;
}

export interface InstallRequest {
  /** The client read the licence and accepts it (required when the licence is non-commercial). */
  acceptLicence: boolean;
}

/** What POST /models/:id/install answers: already there, or started (follow /events/models/:id). */
export interface InstallStart {
  started: boolean;
  state: InstallState;
}

export interface InstallerEvents {
  state: [InstallState];
  /** A model appeared or went away on disk. */
  changed: [string];
}

export class ModelInstaller extends EventEmitter<InstallerEvents> {
  private readonly states = new Map<string, InstallState>();
  private inFlight: string | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: InstallerOptions) {
    super();
  }

  get registry(): Registry {
    return this.opts.registry;
  }

  /** The current state of a model: a running or failed install, else what the disk says. */
  state(id: string): InstallState {
    const kept = this.states.get(id);
    if (kept?.status === 'installing') return kept;
    const installed = this.opts.registry.resolveId(id) !== null;
    // A failed install is reported until the model is installed some other way (e.g. the CLI).
    if (kept?.status === 'failed' && !installed) return kept;
    return idleState(id, installed);
  }

  /** The id being installed, if any. */
  get installing(): string | null {
    return this.inFlight;
  }

  /** Checks the request and starts the install in the background; throws ApiError when refused. */
  install(id: string, req: InstallRequest): InstallStart {
    const entry = this.entry(id);
    if (entry.source === 'bundled') {
      if (this.opts.registry.resolveId(id)) return { started: false, state: this.state(id) };
      throw new ApiError('invalid_request', `${id} ships with Back.Serv (models/${id}/ of the project); restore it from the project checkout, it cannot be downloaded.`);
    }
    if (entry.license.nonCommercial && !req.acceptLicence) {
      throw new ApiError('licence_not_accepted', `${id} is licensed "${entry.license.name}" (non-commercial): read ${entry.license.url} and send {"accept_licence": true} to install it.`);
    }
    if (this.inFlight !== id && this.opts.registry.resolveId(id) && !this.opts.registry.isTestModel(id)) return { started: false, state: this.state(id) };
    if (this.inFlight !== null) {
      throw new ApiError('install_in_progress', `${this.inFlight} is being installed; one install runs at a time. Follow /events/models/${this.inFlight} and retry when it ends.`);
    }
    if (entry.source === 'download') {
      if (entry.files.some((f) => f.urls.length === 0)) {
        throw new ApiError('model_source_refused', `${id} has a file with no download location in the manifest.`);
      }
      for (const f of entry.files) {
        for (const url of f.urls) {
          const why = sourceRefusal(url, this.opts.allowLoopbackHttp);
          if (why) throw new ApiError('model_source_refused', `${id}: ${why}.`);
        }
      }
    }
    this.inFlight = id;
    const files = entry.source === 'convert' ? 1 : entry.files.length;
    this.publish({ ...idleState(id, false), status: 'installing', files_total: files });
    this.running = this.run(entry).finally(() => {
      this.inFlight = null;
    });
    return { started: true, state: this.state(id) };
  }

  /** Deletes an installed (or partly downloaded) model's folder; throws ApiError when refused. */
  remove(id: string): { removed: boolean } {
    const entry = this.entry(id);
    if (entry.source === 'bundled') throw new ApiError('invalid_request', `${id} ships with Back.Serv and cannot be deleted through the API.`);
    if (this.inFlight === id) throw new ApiError('install_in_progress', `${id} is being installed; delete it when the install has ended.`);
    // The id comes from the manifest (validated pattern, no "/" or ".."), so this stays inside the models folder.
    const dir = join(this.opts.modelsDir, entry.id);
    const removed = existsSync(dir);
    rmSync(dir, { recursive: true, force: true });
    this.states.delete(id);
    this.publish(idleState(id, this.opts.registry.resolveId(id) !== null));
    this.emit('changed', id);
    return { removed };
  }

  /** Resolves when the install running now (if any) has ended; for shutdown. */
  async settled(): Promise<void> {
    await this.running;
  }

  private entry(id: string): ManifestEntry {
    const entry = this.opts.registry.manifest.models.find((m) => m.id === id);
    if (!entry) throw notFound(`No model ${id} in the manifest (GET /models lists them).`);
    return entry;
  }

  private publish(state: InstallState): void {
    this.states.set(state.id, state);
    this.emit('state', state);
  }

  private async run(entry: ManifestEntry): Promise<void> {
    const dir = join(this.opts.modelsDir, entry.id);
    const base = this.states.get(entry.id) as InstallState;
    try {
      if (entry.source === 'convert') {
        this.publish({ ...base, file: 'model.onnx' });
        // Give the 202 and the first event a chance to leave before the (synchronous) conversion.
        await new Promise((r) => setImmediate(r));
        const written = convertEntryInto(entry, dir);
        this.publish({ ...base, file: 'model.onnx', received: written.bytes, total: written.bytes, percent: 100, files_done: 1 });
      } else {
        let done = 0;
        for (const f of entry.files) {
          if (!present(dir, f)) await this.fetchFile(dir, f, { ...base, files_done: done });
          done += 1;
        }
        // Real files replace a test model that was there.
        rmSync(join(dir, TEST_MODEL_MARKER), { force: true });
      }
      if (!this.opts.registry.resolveId(entry.id)) throw new Error('the files are in place but the model is still not complete; check the manifest sizes');
      this.publish({ ...idleState(entry.id, true), files_done: base.files_total, files_total: base.files_total });
      this.emit('changed', entry.id);
    } catch (err) {
      removeEmptyFolders(dir);
      this.publish({ ...this.state(entry.id), status: 'failed', error: clientMessage(err) });
    }
  }

  private async fetchFile(dir: string, f: ManifestFile, base: InstallState): Promise<void> {
    let lastError: unknown = null;
    for (const url of f.urls) {
      try {
        await downloadFile({
          url,
          dest: join(dir, f.path),
          sha256: f.sha256,
          size: f.size,
          retries: this.opts.retries ?? 3,
          progressIntervalMs: this.opts.progressIntervalMs ?? 250,
          onProgress: (p) => this.publish({
            ...base, file: f.path, received: p.received, total: p.total,
            percent: p.total > 0 ? Math.min(100, Math.floor((p.received / p.total) * 100)) : null,
          }),
        });
        return;
      } catch (err) {
        lastError = err;
        // A wrong checksum or a cut connection is not fixed by another URL of the same file.
        if (!(err instanceof DownloadError) || (err.code !== 'http' && err.code !== 'offline')) break;
      }
    }
    throw lastError;
  }
}

function present(dir: string, f: ManifestFile): boolean {
  try {
    const st = statSync(join(dir, f.path));
    return st.isFile() && (f.size <= 0 || st.size === f.size);
  } catch {
    return false;
  }
}

/** Download errors name URLs and hosts only; anything else is reduced to its first line without paths. */
function clientMessage(err: unknown): string {
  if (err instanceof DownloadError) {
    if (err.code === 'offline') return `${err.reason}; the model is not installed`;
    // The .part file stays: the next install continues where this one stopped.
    if (err.code === 'interrupted') return `${err.message.replace(/; run the command again to resume$/, '')}; install again to resume`;
    return err.message;
  }
  const first = ((err as Error).message ?? String(err)).split('\n')[0];
  return first.replace(/(^|[\s(])\/[^\s)]+/g, '$1<path>');
}
