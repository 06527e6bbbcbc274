export { createRegistry, installCommandFor, TEST_MODEL_MARKER } from './registry.js';
export type { Registry } from './registry.js';
export { loadManifest, parseManifest, ManifestError, MANIFEST_SCHEMA, PROJECT_MANIFEST_PATH, PROJECT_MODELS_DIR } from './manifest.js';
export type { Manifest, ManifestEntry, ManifestFile, TaskRequirement } from './manifest.js';
export type { ModelRegistry, ResolvedModel, TaskTypeAvailability, ModelManifestEntry, TensorSpec } from './types.js';
export { signatureProblems } from './signature-check.js';
export type { ExpectedSignature } from './signature-check.js';
