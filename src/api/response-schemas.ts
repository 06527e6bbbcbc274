/**
 * JSON Schemas of what the server sends back. The request schemas live in schemas.ts (ajv
 * validates with them); these describe responses for the OpenAPI document, and the tests
 * check real responses against them so the document cannot drift from the code.
 */
import { REQUEST_ERROR_CODES } from '../tasks/errors.js';
import { STATUSES, TASK_TYPES } from '../tasks/types.js';

const nullable = (schema: Record<string, unknown>) => ({ oneOf: [schema, { type: 'null' }] });
const isoTime = { type: 'string', description: 'ISO 8601 UTC, e.g. 2026-11-28T12:00:00.000Z' };

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', enum: REQUEST_ERROR_CODES, description: 'stable machine code from the error catalogue (src/tasks/errors.ts; the README lists it)' },
    message: { type: 'string', description: 'a sentence a person can act on' },
  },
} as const;

export const progressSchema = {
  type: 'object',
  required: ['step', 'total', 'percent'],
  properties: {
    step: { type: 'integer', minimum: 0 },
    total: { type: 'integer', minimum: 0 },
    percent: { type: 'number', minimum: 0, maximum: 100 },
    preview_url: { type: 'string', description: 'image_creation while In Progress: a small live preview of the latest latents (overwritten; gone when the task ends)' },
  },
} as const;

export const submitResponseSchema = {
  type: 'object',
  required: ['ticket_id', 'serv_name', 'status'],
  properties: {
    ticket_id: { type: 'string' },
    serv_name: { type: 'string' },
    status: { type: 'string', const: 'Queueing' },
  },
} as const;

export const taskViewSchema = {
  type: 'object',
  required: ['status', 'result_info', 'error_info', 'started_at', 'completed_at'],
  properties: {
    status: { type: 'string', enum: [...STATUSES] },
    result_info: nullable({ type: 'string', description: 'absolute URL of the primary result file, once Completed' }),
    error_info: nullable({ type: 'string' }),
    error_code: nullable({ type: 'string', description: "a Failed task's error code (the README's error table, where task or both); null otherwise" }),
    started_at: nullable(isoTime),
    completed_at: nullable(isoTime),
    ticket_id: { type: 'string' },
    task_type: { type: 'string', enum: [...TASK_TYPES] },
    user_id: { type: 'string' },
    serv_name: { type: 'string' },
    created_at: isoTime,
    queue_position: nullable({ type: 'integer', minimum: 0, description: 'tasks ahead of this one, while Queueing' }),
    progress: nullable({ $ref: '#/components/schemas/Progress' }),
    result: nullable({
      type: 'object',
      required: ['url', 'content_type'],
      properties: {
        url: { type: 'string' },
        content_type: { type: 'string' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        frames: { type: 'integer' },
        fps: { type: 'number' },
        seed: { type: 'integer' },
        timings: { type: 'object', additionalProperties: { type: 'number' } },
        images: {
          type: 'array',
          description: 'image_creation: every image of the request (batch_size), seeds seed, seed+1, …; the first is result_info',
          items: {
            type: 'object',
            required: ['url', 'seed', 'width', 'height'],
            properties: { url: { type: 'string' }, seed: { type: 'integer' }, width: { type: 'integer' }, height: { type: 'integer' } },
          },
        },
      },
    }),
  },
} as const;

export const cancelResponseSchema = {
  type: 'object',
  required: ['status', 'message'],
  properties: {
    status: { type: 'string', const: 'Cancelled' },
    message: { type: 'string', const: 'Task successfully cancelled' },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', const: 'ok' } },
} as const;

export const readySchema = {
  type: 'object',
  required: ['status', 'serv_name', 'queue', 'tasks', 'task_types'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    serv_name: { type: 'string' },
    queue: { type: 'object', properties: { queued: { type: 'integer' }, running: { type: 'integer' } } },
    tasks: { type: 'object', additionalProperties: { type: 'integer' } },
    task_types: { type: 'object' },
    loras: {
      type: 'array',
      description: 'LoRAs installed in this node\'s LoRA folder (BACKSERV_LORA_DIR), usable as image_creation task_params.loras[].name; absent on a scale-out serve node',
      items: { type: 'object', required: ['name', 'size_bytes'], properties: { name: { type: 'string' }, size_bytes: { type: 'integer' } } },
    },
  },
} as const;
