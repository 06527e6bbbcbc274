/**
 * The OpenAPI description of model management (routes/models.ts, routes/model-events.ts):
 * GET /models, POST /models/{id}/install, DELETE /models/{id}, GET /events/models/{id}.
 * Kept beside openapi.ts so that file stays about tasks.
 */
type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]*$' } };
const adminSecurity = [{ adminBearer: [] }, { adminKeyHeader: [] }];
const adminErrors = {
  401: errorResponse('unauthorized: no admin key, or not a valid one'),
  403: errorResponse('forbidden: a user key (not an admin key), or BACKSERV_ADMIN_KEYS is not set'),
};

export const INSTALL_STATE_SCHEMA = {
  type: 'object',
  required: ['id', 'status', 'file', 'received', 'total', 'percent', 'files_done', 'files_total', 'error'],
  properties: {
    id: { type: 'string' },
    status: { enum: ['not_installed', 'installing', 'installed', 'failed'] },
    file: { type: ['string', 'null'], description: 'the file being fetched or converted' },
    received: { type: 'integer', minimum: 0 },
    total: { type: 'integer', minimum: 0, description: '0 when unknown' },
    percent: { type: ['integer', 'null'], minimum: 0, maximum: 100 },
    files_done: { type: 'integer', minimum: 0 },
    files_total: { type: 'integer', minimum: 0 },
    error: { type: ['string', 'null'], description: 'why the last install failed' },
  },
} as const;

export const MODEL_SCHEMA = {
  type: 'object',
  required: ['id', 'description', 'task_types', 'installed', 'test_model', 'install', 'size_bytes', 'licence', 'source', 'files'],
  properties: {
    id: { type: 'string' },
    description: { type: 'string' },
    task_types: { type: 'array', items: { type: 'string' } },
    installed: { type: 'boolean' },
    test_model: { type: 'boolean', description: 'a signature-exact stand-in written by make-test' },
    install: ref('InstallState'),
    size_bytes: { type: ['integer', 'null'], description: 'null when the manifest does not know every file size' },
    licence: {
      type: 'object',
      required: ['name', 'url', 'non_commercial', 'acceptance_required'],
      properties: { name: { type: 'string' }, url: { type: 'string' }, non_commercial: { type: 'boolean' }, acceptance_required: { type: 'boolean' } },
    },
    source: { enum: ['download', 'convert', 'bundled'] },
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'urls', 'size', 'sha256'],
        properties: { path: { type: 'string' }, urls: { type: 'array', items: { type: 'string' } }, size: { type: ['integer', 'null'] }, sha256: { type: ['string', 'null'] } },
      },
    },
  },
} as const;

export function modelsPaths(readSecurity: Json[] | undefined): Json {
  const read = (op: Json) => (readSecurity ? { ...op, security: [...readSecurity, ...adminSecurity] } : op);
  const installState = (description: string) => ({
    description,
    content: { 'application/json': { schema: { allOf: [ref('InstallState'), { type: 'object', properties: { events: { type: 'string' } } }] } } },
  });
  return {
    '/models': {
      get: read({
        operationId: 'listModels',
        summary: 'Every model of the manifest: task types, installed, size, licence, source',
        responses: {
          200: {
            description: 'the models',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['models', 'installing'], properties: { models: { type: 'array', items: ref('Model') }, installing: { type: ['string', 'null'] } } },
              },
            },
          },
          401: errorResponse('API keys are on and no valid user or admin key was sent'),
        },
      }),
    },
    '/models/{id}/install': {
      post: {
        operationId: 'installModel',
        summary: 'Download (or convert) a model on the server (admin key)',
        description: 'Starts the install and answers 202; follow it on /events/models/{id}. Downloads are resumable (a failed install keeps its .part '
          + 'file and the next install continues with a Range request), every file is checked against the manifest size and sha256 before it is '
          + 'put in place, and a failed install leaves no empty folder. One install runs at a time. Model URLs must be https '
          + '(http to 127.0.0.1 only with BACKSERV_MODELS_ALLOW_HTTP=1, for tests and development).',
        security: adminSecurity,
        parameters: [idParam],
        requestBody: {
          required: false,
          content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { accept_licence: { type: 'boolean', description: 'required (true) for a non-commercial licence' } } } } },
        },
        responses: {
          202: installState('install started'),
          200: installState('already installed; nothing to do'),
          400: errorResponse('licence_not_accepted, invalid_request or invalid_json'),
          ...adminErrors,
          404: errorResponse('no such model in the manifest'),
          409: errorResponse('install_in_progress: another install is running'),
          502: errorResponse('model_source_refused: a manifest URL is not https'),
        },
      },
    },
    '/models/{id}': {
      delete: {
        operationId: 'deleteModel',
        summary: 'Delete an installed (or partly downloaded) model\'s files (admin key)',
        security: adminSecurity,
        parameters: [idParam],
        responses: {
          200: { description: 'deleted (removed: whether there was a folder)', content: { 'application/json': { schema: { allOf: [ref('InstallState'), { type: 'object', properties: { removed: { type: 'boolean' } } }] } } } },
          400: errorResponse('a bundled model cannot be deleted'),
          ...adminErrors,
          404: errorResponse('no such model in the manifest'),
          409: errorResponse('install_in_progress: the model is being installed'),
        },
      },
    },
    '/events/models/{id}': {
      get: {
        operationId: 'modelEvents',
        summary: 'Install progress as Server-Sent Events (admin key)',
        description: '`state` events carry the InstallState: the current one first, then every change. The final state (installed, failed, '
          + 'or the current state when no install is running) has `id: done` and the stream closes.',
        security: adminSecurity,
        parameters: [idParam],
        responses: {
          200: { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...adminErrors,
          404: errorResponse('no such model in the manifest'),
        },
      },
    },
  };
}

export const MODELS_SECURITY_SCHEMES = {
  adminBearer: { type: 'http', scheme: 'bearer', description: 'a key from BACKSERV_ADMIN_KEYS' },
  adminKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'a key from BACKSERV_ADMIN_KEYS' },
} as const;
