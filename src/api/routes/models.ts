/**
 * GET /models, POST /models/:id/install, DELETE /models/:id: the model catalogue and its
 * management over HTTP. Reading the list needs what reading tasks needs (a user key when user
 * keys are on); installing and deleting need an admin key (admin-keys.ts). The work itself is the
 * ModelInstaller's (src/models/install/); these handlers only check and translate.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { ApiError, badRequest } from '../../tasks/errors.js';
import { modelSummary } from '../../models/install/model-summary.js';
import type { ModelInstaller } from '../../models/install/model-installer.js';
import type { AdminKeys } from '../admin-keys.js';
import { modelEventsHandler } from './model-events.js';

export interface ModelsRouteDeps {
  installer: ModelInstaller;
  admin: AdminKeys;
  heartbeatMs: number;
}

/** The install body is a few bytes of JSON; anything bigger is not one. */
const MAX_BODY = 4096;
const ACCEPT_FIELDS = ['accept_licence', 'accept_license'] as const;

async function readInstallBody(ctx: Context): Promise<{ acceptLicence: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError('payload_too_large', `The install body is over ${MAX_BODY} bytes; it holds only {"accept_licence": true}.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { acceptLicence: false };
  if (!/^application\/json\b/i.test(ctx.get('content-type'))) throw new ApiError('unsupported_media_type', 'Send the install body as application/json.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('invalid_request', 'The body must be a JSON object such as {"accept_licence": true}.');
  let accept = false;
  for (const [key, value] of Object.entries(body)) {
    if (!(ACCEPT_FIELDS as readonly string[]).includes(key)) throw badRequest('invalid_request', `${key}: unknown field; the install body takes only accept_licence.`);
    if (typeof value !== 'boolean') throw badRequest('invalid_request', `${key}: must be true or false.`);
    accept ||= value;
  }
  return { acceptLicence: accept };
}

export function modelsRouter(deps: ModelsRouteDeps): Router {
  const { installer, admin } = deps;
  const router = new Router();

  router.get('/models', (ctx) => {
    admin.requireReader(ctx);
    const registry = installer.registry;
    ctx.body = {
      models: registry.manifest.models.map((m) => modelSummary(m, registry.resolveId(m.id) !== null, registry.isTestModel(m.id), installer.state(m.id))),
      installing: installer.installing,
    };
  });

  router.post('/models/:id/install', async (ctx) => {
    admin.requireAdmin(ctx);
    const body = await readInstallBody(ctx);
    const result = installer.install(String(ctx.params.id), body);
    ctx.status = result.started ? 202 : 200;
    ctx.body = { ...result.state, events: `/events/models/${result.state.id}` };
  });

  router.delete('/models/:id', (ctx) => {
    admin.requireAdmin(ctx);
    ctx.req.resume();
    const { removed } = installer.remove(String(ctx.params.id));
    ctx.body = { ...installer.state(String(ctx.params.id)), removed };
  });

  router.get('/events/models/:id', modelEventsHandler({ installer, admin, heartbeatMs: deps.heartbeatMs }));
  return router;
}
