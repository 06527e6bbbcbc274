/** ajv validators compiled once; errors become a 400 whose message names the field. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest } from '../tasks/errors.js';
import type { TaskType } from '../tasks/types.js';
import { TASK_TYPES, isTaskType } from '../tasks/types.js';
import { VIDEO } from '../pipelines/video-creation/limits.js';
import type { WebhookEvent } from '../tasks/webhook-event.js';
import { paramSchemas, submitSchema } from './schemas.js';

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
    const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: true, allowUnionTypes: true });
    this.submit = ajv.compile(submitSchema);
    this.params = Object.fromEntries(TASK_TYPES.map((t) => [t, ajv.compile(paramSchemas[t])])) as Record<TaskType, ValidateFunction>;
  }

  /** Validates and fills defaults in place; throws ApiError 400. */
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
    if (!check(b.task_params)) throw badRequest('invalid_request', describe(check.errors![0], 'task_params'));
    const params = b.task_params as Record<string, unknown>;
    if (type === 'video_creation') {
      const frames = (params.duration as number) * (params.fps as number);
      if (frames > VIDEO.maxFrames) {
        throw badRequest('invalid_request', `task_params.duration × fps = ${frames} frames is over the limit of ${VIDEO.maxFrames}.`);
      }
    }
    return b as unknown as SubmitBody;
  }
}
