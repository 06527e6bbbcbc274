/** Operator tuning a pipeline reads from its context (tile sizes, fetch caps); built once per worker. */
import type { DeviceSetting } from '../config/device-setting.js';
import type { InputStoreSettings } from '../store/inputs/create-input-store.js';

/** Settings a worker thread needs to build its own context (sessions, models, fetch rules). */
export interface WorkerEnv {
  modelsDir: string;
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
    /** Input pixels per tile side, and real context around it (≥ the model's receptive field). */
    tile: number;
    pad: number;
    maxOutputPixels: number;
  };
}
