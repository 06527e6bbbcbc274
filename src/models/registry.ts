/**
 * Which task types can run, decided from what is on disk. A model is installed when every file
 * its manifest entry lists exists (with the listed size where known); checksums are `verify`'s job
 * because hashing gigabytes at startup is not acceptable. A folder written by `make-test` carries a
 * `.test-model` marker listing its own files and counts as installed when those exist.
 * Nothing is cached: /ready sees a model as soon as its files are placed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { TASK_TYPES, type TaskType } from '../tasks/types.js';
import { loadManifest, PROJECT_MODELS_DIR, type Manifest, type ManifestEntry } from './manifest.js';
import type { ModelRegistry, ResolvedModel, TaskTypeAvailability } from './types.js';

export const TEST_MODEL_MARKER = '.test-model';
/**
 * Written by `convert ID --fp16|--fp32`: the files it rewrote (their size no longer matches the
 * manifest) and the side files it made unnecessary (gone, and no longer required).
 */
export const PRECISION_MARKER = '.precision.json';

export interface PrecisionMarker {
  precision: 'fp16' | 'fp32';
  converted: string[];
  removed: string[];
}

export function readPrecisionMarker(dir: string): PrecisionMarker | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, PRECISION_MARKER), 'utf8')) as Partial<PrecisionMarker>;
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : []);
    return { precision: parsed.precision === 'fp16' ? 'fp16' : 'fp32', converted: list(parsed.converted), removed: list(parsed.removed) };
  } catch {
    return null;
  }
}

export interface Registry extends ModelRegistry {
  readonly manifest: Manifest;
  /** Every installed role of a task type, or null if a required (non-optional) one is missing. */
  resolveAll(taskType: TaskType): Record<string, ResolvedModel> | null;
  /** A model by id when installed. */
  resolveId(id: string): ResolvedModel | null;
  /** The folder a model would be installed in (the models dir, or the project's copy for bundled ones). */
  modelDir(id: string): string;
  isTestModel(id: string): boolean;
}

/**
 * The one-line command that installs a model, as shown in 503 model_unavailable and `models list`
 * (`npx backserv models …` works in an installed package and a checkout alike).
 */
export function installCommandFor(entry: ManifestEntry): string {
  if (entry.source === 'convert') return `npx backserv models convert ${entry.id}`;
  if (entry.source === 'bundled') return `restore models/${entry.id}/ from the project checkout (it ships with Back.Serv)`;
  return `npx backserv models download ${entry.id}${entry.license.nonCommercial ? ' --accept-license' : ''}`;
}

function readMarker(dir: string): string[] | null {
  const path = join(dir, TEST_MODEL_MARKER);
  if (!existsSync(path)) return null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const files = (parsed as { files?: unknown }).files;
    return Array.isArray(files) && files.every((f) => typeof f === 'string') ? (files as string[]) : [];
  } catch {
    return [];
  }
}

function fileComplete(path: string, size: number): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (size <= 0 || st.size === size);
  } catch {
    return false;
  }
}

function folderHolds(dir: string, entry: ManifestEntry): boolean {
  const marker = readMarker(dir);
  if (marker) return marker.length > 0 && marker.every((f) => fileComplete(join(dir, f), 0));
  const converted = readPrecisionMarker(dir);
  return entry.files.every((f) => {
    if (converted?.removed.includes(f.path)) return true;
    return fileComplete(join(dir, f.path), converted?.converted.includes(f.path) ? 0 : f.size);
  });
}

export function createRegistry(modelsDir: string, manifest: Manifest = loadManifest()): Registry {
  const root = resolvePath(modelsDir);
  const byId = new Map(manifest.models.map((m) => [m.id, m]));

  function candidates(entry: ManifestEntry): string[] {
    const own = join(root, entry.id);
    // Bundled models ship inside the project; a models dir elsewhere still finds them.
    return entry.source === 'bundled' ? [own, join(PROJECT_MODELS_DIR, entry.id)] : [own];
  }

  function installedDir(id: string): string | null {
    const entry = byId.get(id);
    if (!entry) return null;
    return candidates(entry).find((dir) => folderHolds(dir, entry)) ?? null;
  }

  function resolveId(id: string): ResolvedModel | null {
    const dir = installedDir(id);
    if (!dir) return null;
    const perPixel = byId.get(id)?.memoryPerInputPixel;
    return perPixel ? { id, dir, memoryPerInputPixel: perPixel } : { id, dir };
  }

  function resolveAll(taskType: TaskType): Record<string, ResolvedModel> | null {
    const out: Record<string, ResolvedModel> = {};
    for (const req of manifest.tasks[taskType]) {
      const found = req.models.map(resolveId).find((r) => r !== null);
      if (found) out[req.role] = found;
      else if (!req.optional) return null;
    }
    return out;
  }

  function resolveRole(taskType: TaskType, role: string, requested?: string): ResolvedModel | null {
    const req = manifest.tasks[taskType].find((r) => r.role === role);
    if (!req) return null;
    const order = requested && req.models.includes(requested) ? [requested] : req.models;
    return order.map(resolveId).find((r) => r !== null) ?? null;
  }

  function resolve(taskType: TaskType, requested?: string): ResolvedModel | null {
    const all = resolveAll(taskType);
    if (!all) return null;
    const primary = manifest.tasks[taskType][0];
    if (requested && primary.models.includes(requested)) {
      const hit = resolveId(requested);
      if (hit) return hit;
    }
    return all[primary.role] ?? null;
  }

  function availability(): Record<TaskType, TaskTypeAvailability> {
    const result = {} as Record<TaskType, TaskTypeAvailability>;
    for (const task of TASK_TYPES) {
      const reqs = manifest.tasks[task];
      const models: { id: string; installed: boolean }[] = [];
      const missing: string[] = [];
      for (const req of reqs) {
        const states = req.models.map((id) => ({ id, installed: installedDir(id) !== null }));
        models.push(...states);
        if (!req.optional && !states.some((s) => s.installed)) missing.push(installCommandFor(byId.get(req.models[0]) as ManifestEntry));
      }
      result[task] = { available: missing.length === 0, models, installCommand: missing.join(' && ') };
    }
    return result;
  }

  return {
    manifest,
    resolve,
    resolveAll,
    resolveRole,
    resolveId,
    availability,
    modelDir: (id) => installedDir(id) ?? join(root, id),
    isTestModel: (id) => {
      const dir = installedDir(id);
      return dir !== null && readMarker(dir) !== null;
    },
  };
}
