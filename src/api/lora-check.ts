/**
 * The submit-time check of image_creation's `loras`: each named LoRA is installed in this node's
 * LoRA folder and is a safetensors file with LoRA keys, else a 400 naming the field and nothing
 * is queued, and at least one of its modules matches a layer of the model the task would run on
 * (its header's names against the model's cached name index, models/lora/target-names.ts; no
 * tensor is read). A serve node without the folder (scale-out) skips this, and one without the
 * model files skips the match (the worker then fails the task with invalid_params).
 */
import { listLoras, loraProblem } from '../models/lora/lora-folder.js';
import type { ResolvedModel } from '../models/types.js';
import { badRequest } from '../tasks/errors.js';
import type { SubmitBody } from './validate.js';

/** `model`: the installed model the task would run on, when known (its LoRA keys are matched against it). */
export function checkLoras(body: SubmitBody, loraDir: string | undefined, model?: ResolvedModel | null): void {
  const list = body.task_params.loras;
  if (loraDir === undefined || body.task_type !== 'image_creation' || !Array.isArray(list)) return;
  for (const [i, l] of list.entries()) {
    const problem = loraProblem(loraDir, String((l as { name?: unknown }).name), model ?? undefined);
    if (problem) throw badRequest('invalid_request', `task_params.loras[${i}].name: ${problem}.`);
  }
}

/** The installed LoRAs for /ready. */
export function installedLoras(loraDir: string | undefined): { name: string; size_bytes: number }[] | undefined {
  return loraDir === undefined ? undefined : listLoras(loraDir);
}
