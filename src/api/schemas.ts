/**
 * The submit envelope's schema. Each task type's task_params schema belongs to its pipeline
 * (src/pipelines/<type>/params.ts, listed in src/pipelines/registry.ts); validate.ts and
 * openapi.ts put the two together. Unknown fields are rejected so typos surface.
 */
import { TASK_TYPES } from '../tasks/types.js';

export const submitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_type', 'task_params', 'user_id'],
  properties: {
    task_type: { type: 'string', enum: [...TASK_TYPES] },
    task_params: { type: 'object' },
    user_id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
    // Extension: where to POST the final task state (signed; see src/webhooks/).
    callback_url: {
      type: 'string', minLength: 8, maxLength: 2048, pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'optional http(s) URL that receives a signed POST of the final task state',
    },
    // Extension: which webhooks to send (Replicate's webhook_events_filter). Default: ["completed"].
    callback_events: {
      type: 'array', minItems: 1, maxItems: 3, uniqueItems: true,
      items: { type: 'string', enum: ['start', 'progress', 'completed'] },
      description: 'with callback_url: "start" (the task began running), "progress" (best effort, throttled), "completed" (any final state, retried until delivered); default ["completed"]',
    },
  },
} as const;
