/**
 * Optional models a request asks for (face_enhance's enhancer), checked at submit: when none
 * of the acceptable models is installed for the task type (here, or on a live worker in
 * scale-out mode, as the availability says), the answer is 400 naming the field, with the
 * command that installs the preferred one, and nothing is queued.
 */
import { loadManifest } from '../models/manifest.js';
import { installCommandFor } from '../models/registry.js';
import type { TaskTypeAvailability } from '../models/types.js';
import { PIPELINE_PARAMS } from '../pipelines/registry.js';
import { badRequest } from '../tasks/errors.js';
import type { TaskType } from '../tasks/types.js';

let commands: Map<string, string> | null = null;

function installCommand(id: string): string {
  if (!commands) {
    commands = new Map();
    try {
      for (const e of loadManifest().models) commands.set(e.id, installCommandFor(e));
    } catch {
      // No readable manifest here: the generic form below is still right for downloads.
    }
  }
  return commands.get(id) ?? `npx backserv models download ${id}`;
}

export function checkModelNeeds(type: TaskType, params: Record<string, unknown>, avail: TaskTypeAvailability): void {
  const needs = PIPELINE_PARAMS[type].modelNeeds?.(params) ?? [];
  const installed = new Set(avail.models.filter((m) => m.installed).map((m) => m.id));
  for (const need of needs) {
    if (need.models.some((id) => installed.has(id))) continue;
    throw badRequest('invalid_request', `task_params.${need.field}: ${need.what} is not installed on this server. `
      + `Install one with: ${installCommand(need.models[0])}`);
  }
}
