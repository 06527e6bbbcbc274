/**
 * One model as GET /models shows it: what it does, whether it is installed (or being installed),
 * how big it is, its licence and where it comes from. No server paths: clients see ids and URLs.
 */
import type { ManifestEntry } from '../manifest.js';
import type { InstallState } from './install-state.js';

export interface ModelSummary {
  id: string;
  description: string;
  task_types: string[];
  installed: boolean;
  /** A signature-exact stand-in written by `make-test`, not the real weights. */
  test_model: boolean;
  install: InstallState;
  /** Total bytes of the files when the manifest knows every size, else null. */
  size_bytes: number | null;
  licence: { name: string; url: string; non_commercial: boolean; acceptance_required: boolean };
  /** "download" (from `files[].urls`), "convert" (built from weights that ship with Back.Serv) or "bundled". */
  source: ManifestEntry['source'];
  files: { path: string; urls: string[]; size: number | null; sha256: string | null }[];
}

export function modelSummary(entry: ManifestEntry, installed: boolean, testModel: boolean, install: InstallState): ModelSummary {
  const known = entry.files.every((f) => f.size > 0);
  return {
    id: entry.id,
    description: entry.description,
    task_types: [...entry.taskTypes],
    installed,
    test_model: testModel,
    install,
    size_bytes: known ? entry.files.reduce((n, f) => n + f.size, 0) : null,
    licence: { name: entry.license.name, url: entry.license.url, non_commercial: entry.license.nonCommercial, acceptance_required: entry.license.nonCommercial },
    source: entry.source,
    files: entry.files.map((f) => ({ path: f.path, urls: [...f.urls], size: f.size > 0 ? f.size : null, sha256: f.sha256 })),
  };
}
