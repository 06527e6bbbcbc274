/**
 * The OpenAPI 3.1 document, generated from the same schema objects ajv validates requests with
 * (the envelope in schemas.ts, each task type's params from its pipeline via the registry), so the
 * document and the server cannot disagree about what is accepted. OpenAPI
 * 3.1 schemas are JSON Schema 2020-12, a superset of the keywords used there.
 */
import { TASK_TYPES, type TaskType } from '../tasks/types.js';
import {
  cancelResponseSchema, errorSchema, healthSchema, progressSchema, readySchema, submitResponseSchema, taskViewSchema,
} from './response-schemas.js';
import { PIPELINE_PARAMS } from '../pipelines/registry.js';
import { submitSchema } from './schemas.js';
import { INSTALL_STATE_SCHEMA, MODEL_SCHEMA, MODELS_SECURITY_SCHEMES, modelsPaths } from './models-openapi.js';

export interface OpenApiOptions {
  version: string;
  /** API keys configured: task endpoints document the security requirement. */
  authRequired: boolean;
  serverUrl?: string;
  /** Routes mounted by other layers (src/compat/), each under its own tags. */
  extra?: readonly OpenApiFragment[];
}

/** What a mounted router adds to the document: tagged paths and the schemas they reference. */
export interface OpenApiFragment {
  tags: { name: string; description: string }[];
  paths: Record<string, unknown>;
  schemas: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const pascal = (t: string) => t.split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');
const clone = <T>(v: T): T => structuredClone(v);
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** One submit body per task type: the generic submitSchema with task_type fixed and its params attached. */
function submitVariant(t: TaskType): Json {
  const base = clone(submitSchema) as unknown as { properties: Json } & Json;
  return {
    ...base,
    title: `submit ${t}`,
    properties: { ...base.properties, task_type: { type: 'string', const: t }, task_params: ref(`${pascal(t)}Params`) },
  };
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const ticketParam = { name: 'ticket_id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } };

export function buildOpenApi(opts: OpenApiOptions): Json {
  const schemas: Json = {};
  for (const t of TASK_TYPES) {
    schemas[`${pascal(t)}Params`] = clone(PIPELINE_PARAMS[t].schema);
    schemas[`Submit${pascal(t)}`] = submitVariant(t);
  }
  schemas.SubmitRequest = {
    oneOf: TASK_TYPES.map((t) => ref(`Submit${pascal(t)}`)),
    discriminator: {
      propertyName: 'task_type',
      mapping: Object.fromEntries(TASK_TYPES.map((t) => [t, `#/components/schemas/Submit${pascal(t)}`])),
    },
  };
  Object.assign(schemas, {
    SubmitResponse: clone(submitResponseSchema),
    TaskView: clone(taskViewSchema),
    Progress: clone(progressSchema),
    CancelResponse: clone(cancelResponseSchema),
    Error: clone(errorSchema),
    Health: clone(healthSchema),
    Ready: clone(readySchema),
    Model: clone(MODEL_SCHEMA),
    InstallState: clone(INSTALL_STATE_SCHEMA),
  });

  const security = opts.authRequired ? [{ bearerAuth: [] }, { apiKeyHeader: [] }] : undefined;
  const authErrors = opts.authRequired ? { 401: errorResponse('missing or unknown API key') } : {};
  const task = (op: Json) => (security ? { ...op, security } : op);

  const extra = opts.extra ?? [];
  for (const f of extra) Object.assign(schemas, clone(f.schemas));
  const seedTag = (p: Record<string, Record<string, Json>>) => {
    // The seed paths get a tag of their own once other tags exist, so /docs groups them.
    if (extra.length === 0) return p;
    for (const op of Object.values(p)) for (const o of Object.values(op)) o.tags = ['Back.Serv'];
    return p;
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Back.Serv',
      version: opts.version,
      description: 'Generative-image task server. The seed API (submit_task, query_task, cancel_task) plus extensions: '
        + 'Server-Sent Events, webhooks (callback_url), Idempotency-Key, API keys. Every error is JSON {error, message}.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    ...(extra.length ? { tags: [{ name: 'Back.Serv', description: 'The seed API and its extensions' }, ...extra.flatMap((f) => f.tags)] } : {}),
    paths: {
      ...seedTag({
      '/submit_task': {
        post: task({
          operationId: 'submitTask',
          summary: 'Submit a task',
          parameters: [{
            name: 'Idempotency-Key', in: 'header', required: false,
            description: 'Repeat a submit safely: the same key and user_id within the window return the first response (with Idempotent-Replayed: true).',
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('SubmitRequest') } } },
          responses: {
            202: { description: 'accepted', content: { 'application/json': { schema: ref('SubmitResponse') } } },
            400: errorResponse('invalid_json, invalid_request, unknown_task_type or invalid_image'),
            ...authErrors,
            ...(opts.authRequired ? { 403: errorResponse('user_id is not the API key\'s user') } : {}),
            409: errorResponse('idempotency_key_reused: the key was used with a different body'),
            413: errorResponse('payload_too_large'),
            415: errorResponse('unsupported_media_type'),
            429: { ...errorResponse('queue_full or rate_limited'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
            503: errorResponse('model_unavailable'),
          },
        }),
      },
      '/query_task/{ticket_id}': {
        get: task({
          operationId: 'queryTask',
          summary: 'Task status and result',
          parameters: [ticketParam],
          responses: {
            200: { description: 'the task', content: { 'application/json': { schema: ref('TaskView') } } },
            ...authErrors,
            404: errorResponse('unknown ticket (or another user\'s, when API keys are on)'),
          },
        }),
      },
      '/cancel_task/{ticket_id}': {
        post: task({
          operationId: 'cancelTask',
          summary: 'Cancel a queued or running task',
          parameters: [ticketParam],
          responses: {
            200: { description: 'cancelled', content: { 'application/json': { schema: ref('CancelResponse') } } },
            ...authErrors,
            404: errorResponse('unknown ticket'),
            409: errorResponse('the task is already final'),
          },
        }),
      },
      '/events/{ticket_id}': {
        get: task({
          operationId: 'taskEvents',
          summary: 'Live progress as Server-Sent Events',
          description: 'Events: `status` (data: the TaskView, sent first and on every change), `queue` ({queue_position}, while Queueing), '
            + '`progress` ({step, total, percent}). Numbered `id:` lines; the final status has `id: done` and the stream then closes. '
            + 'Reconnecting with Last-Event-ID resends the current state (no history is replayed) and continues the numbering; '
            + 'Last-Event-ID: done on a finished task answers 204, which tells EventSource to stop. Comment lines are heartbeats.',
          parameters: [ticketParam, { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
          responses: {
            200: { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            204: { description: 'the task is final and the client has already seen the final event' },
            ...authErrors,
            404: errorResponse('unknown ticket'),
          },
        }),
      },
      '/results/{name}': {
        get: {
          operationId: 'getResult',
          summary: 'A result file (PNG or MP4; supports Range)',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'the file', content: { 'image/png': {}, 'video/mp4': {} } },
            206: { description: 'a byte range of the file' },
            404: errorResponse('no such file'),
          },
        },
      },
      '/health': { get: { operationId: 'health', summary: 'Process alive', responses: { 200: { description: 'ok', content: { 'application/json': { schema: ref('Health') } } } } } },
      '/ready': {
        get: {
          operationId: 'ready',
          summary: 'Store, queue and pool up; installed models',
          responses: {
            200: { description: 'ready', content: { 'application/json': { schema: ref('Ready') } } },
            503: { description: 'not ready', content: { 'application/json': { schema: ref('Ready') } } },
          },
        },
      },
      '/metrics': { get: { operationId: 'metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { operationId: 'openapi', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      ...(modelsPaths(security) as Record<string, Record<string, Json>>),
      }),
      ...Object.assign({}, ...extra.map((f) => clone(f.paths))) as Json,
    },
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'a key from BACKSERV_API_KEYS' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        ...clone(MODELS_SECURITY_SCHEMES),
      },
    },
  };
}
