/**
 * Reads what an installed SD folder says about itself, without opening any session: the
 * scheduler class (picks defaults for unknown ids) and the trained image size. The size follows
 * diffusers: `unet/config.json` sample_size (a side, or [height, width]) in latents, times the
 * VAE's downscale (2^(len(block_out_channels) − 1) from `vae_decoder/config.json`, 8 when absent).
 * Both files are optional; a size the API would refuse as input is not used as a default.
 */
import { installedModel } from '../installed-model.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ModelRegistry } from '../../models/types.js';
import type { TaskType } from '../../tasks/types.js';
import type { ModelLookup } from '../params/types.js';
import type { SdModelInfo } from './defaults.js';
import { sdFamily } from './family.js';
import { IMAGE_SIZE } from './params.js';
import { incompatible } from './tensor-io.js';

/**
 * A JSON object from a model folder (`file` relative to it), null when the file is absent; a
 * broken file is the model's fault. The message names the model's own files, not the server's layout.
 */
export function readConfig(dir: string, file: string): Record<string, unknown> | null {
  const path = join(dir, file);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw incompatible(`${basename(dir)}/${file} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw incompatible(`${basename(dir)}/${file} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function vaeDownscale(dir: string): number {
  const channels = readConfig(dir, 'vae_decoder/config.json')?.block_out_channels;
  return Array.isArray(channels) && channels.length > 0 ? 2 ** (channels.length - 1) : 8;
}

function usable(side: number): boolean {
  return side >= IMAGE_SIZE.min && side <= IMAGE_SIZE.max && side % IMAGE_SIZE.multipleOf === 0;
}

export function nativeSize(dir: string): SdModelInfo['nativeSize'] {
  const sample = readConfig(dir, 'unet/config.json')?.sample_size;
  const [h, w] = Array.isArray(sample) ? sample : [sample, sample];
  if (!positiveInt(h) || !positiveInt(w)) return null;
  const f = vaeDownscale(dir);
  const size = { width: w * f, height: h * f };
  return usable(size.width) && usable(size.height) ? size : null;
}

export function readSdModelInfo(id: string, dir: string): SdModelInfo {
  const scheduler = readConfig(dir, 'scheduler/scheduler_config.json');
  const cls = scheduler?._class_name;
  return { id, dir, schedulerClass: typeof cls === 'string' ? cls : '', nativeSize: nativeSize(dir), family: sdFamily({ id, dir }) };
}

/** The worker's model lookup for parse: the installed SD model the task runs on, or model_unavailable. */
export function sdModelLookup(models: ModelRegistry, taskType: TaskType): ModelLookup<SdModelInfo> {
  const installed = installedModel(models, taskType, 'Stable Diffusion');
  return (requested) => {
    const resolved = installed(requested);
    return readSdModelInfo(resolved.id, resolved.dir);
  };
}
