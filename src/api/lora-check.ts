/**
 * The submit-time check of image_creation's `loras`: each named LoRA is installed in this node's
 * LoRA folder and is a safetensors file with LoRA keys, else a 400 naming the field and nothing
 * is queued. Whether its layers match the model is known only once the worker reads the model
 * (a Failed task with invalid_params). A serve node without the folder (scale-out) skips this.
 */
import { listLoras, loraProblem } from '../models/lora/lora-folder.js';
import { badRequest } from '../tasks/errors.js';
import type { SubmitBody } from './validate.js';

export function checkLoras(body: SubmitBody, loraDir: string | undefined): void {
  const list = body.task_params.loras;
  if (loraDir === undefined || body.task_type !== 'image_creation' || !Array.isArray(list)) return;
  for (const [i, l] of list.entries()) {
    const problem = loraProblem(loraDir, String((l as { name?: unknown }).name));
    if (problem) throw badRequest('invalid_request', `task_params.loras[${i}].name: ${problem}.`);
  }
}

/** The installed LoRAs for /ready. */
export function installedLoras(loraDir: string | undefined): { name: string; size_bytes: number }[] | undefined {
  return loraDir === undefined ? undefined : listLoras(loraDir);
}
