/**
 * ajv validators compiled once: the submit envelope (schemas.ts) and each task type's task_params
 * schema from the pipeline registry; errors become a 400 whose message names the field. Defaults
 * are NOT filled in here (no useDefaults): task_params are stored as sent and the pipeline's
 * parse applies each default once, in the worker, where the model (and so its defaults) is known.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { PIPELINE_PARAMS } from '../pipelines/registry.js';
import { badRequest } from '../tasks/errors.js';
import type { TaskType } from '../tasks/types.js';
import { TASK_TYPES, isTaskType } from '../tasks/types.js';
import type { WebhookEvent } from '../tasks/webhook-event.js';
import { submitSchema } from './schemas.js';

export interface SubmitBody {
  task_type: TaskType;
  task_params: Record<string, unknown>;
  user_id: string;
  /** Extension: webhook target for the final state. */
  callback_url?: string;
  /** Extension: which webhooks callback_url gets (default: the final state only). */
  callback_events?: WebhookEvent[];
}

function describe(err: ErrorObject, root: string): string {
  // instancePath is "/a/b"; at the top level (no root) it must not start with a dot.
  const path = [root, ...err.instancePath.split('/').filter(Boolean)].filter(Boolean).join('.');
  switch (err.keyword) {
    case 'additionalProperties':
      return `${path ? path + '.' : ''}${String(err.params.additionalProperty)} is not a known field`;
    case 'required':
      return `${path ? path + '.' : ''}${String(err.params.missingProperty)} is required`;
    default:
      return `${path || 'body'} ${err.message ?? 'is invalid'}`;
  }
}

export class RequestValidator {
  private readonly submit: ValidateFunction;
  private readonly params: Record<TaskType, ValidateFunction>;

  constructor() {
    const ajv = new Ajv({ allErrors: false, useDefaults: false, strict: true, allowUnionTypes: true });
    this.submit = ajv.compile(submitSchema);
    this.params = Object.fromEntries(TASK_TYPES.map((t) => [t, ajv.compile(PIPELINE_PARAMS[t].schema)])) as Record<TaskType, ValidateFunction>;
  }

  /** Validates without changing the body; throws ApiError 400. */
  submitBody(body: unknown): SubmitBody {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('invalid_request', 'The body must be a JSON object with task_type, task_params and user_id.');
    }
    const b = body as Record<string, unknown>;
    // An unknown task type gets its own code, before the generic schema error would hide it.
    if ('task_type' in b && !isTaskType(b.task_type)) {
      throw badRequest('unknown_task_type', `task_type must be one of ${TASK_TYPES.join(', ')}.`);
    }
    if (!this.submit(b)) throw badRequest('invalid_request', describe(this.submit.errors![0], ''));
    const type = b.task_type as TaskType;
    const check = this.params[type];
    if (!check(b.task_params)) {
      const first = check.errors![0];
      // A schema's oneOf between fields (face_swap: target_image or target_video) is worded by its crossCheck.
      const worded = first.schemaPath.startsWith('#/oneOf') ? PIPELINE_PARAMS[type].crossCheck?.(b.task_params as Record<string, unknown>) : null;
      throw badRequest('invalid_request', worded ?? describe(first, 'task_params'));
    }
    const crossed = PIPELINE_PARAMS[type].crossCheck?.(b.task_params as Record<string, unknown>);
    if (crossed) throw badRequest('invalid_request', crossed);
    return b as unknown as SubmitBody;
  }
}
