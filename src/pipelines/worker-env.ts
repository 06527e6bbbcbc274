/** Operator tuning a pipeline reads from its context (tile sizes, fetch caps); built once per worker. */
import type { DeviceSetting } from '../config/device-setting.js';
import type { InputStoreSettings } from '../store/inputs/create-input-store.js';

/** Settings a worker thread needs to build its own context (sessions, models, fetch rules). */
export interface WorkerEnv {
  modelsDir: string;
  /** The manifest to read instead of the project's (BACKSERV_MODELS_MANIFEST); null = the project's. */
  modelsManifest?: string | null;
  /** LoRA .safetensors files for image_creation (BACKSERV_LORA_DIR); absent: <modelsDir>/loras. */
  loraDir?: string;
  resultsDir: string;
  /** Where request payloads referenced by `backserv-input:` params are read from. */
  inputs: InputStoreSettings;
  device: DeviceSetting;
  intraOpThreads: number;
  fetch: {
    maxBytes: number;
    timeoutMs: number;
    maxRedirects: number;
    allowlist: string | undefined;
    maxPixels: number;
  };
  upscale: {
    /** Input pixels per tile side (null: chosen per image), and real context around it (≥ the model's receptive field). */
    tile: number | null;
    pad: number;
    /** Working memory one tile run may use, for choosing the tile. */
    memoryBytes: number;
    maxOutputPixels: number;
  };
}
