/**
 * The OpenAI Images API subset that apps on the official SDK, Open WebUI, LibreChat and n8n
 * call: generations and edits (synchronous, ordinary tasks underneath) and the model list.
 * Errors are OpenAI's `{error: {message, type, param, code}}`; variations answer 501 in that shape.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { MountContext } from '../../api/app-mount.js';
import { BodyCheck } from '../body-check.js';
import type { CallRunner } from '../call-runner.js';
import { CompatError, ownPrefix, type ShapedError } from '../errors.js';
import { openaiCaller } from '../identity.js';
import { installedModels } from '../models.js';
import { resultBytes, resultUrl } from '../result-bytes.js';
import type { UnknownFields } from '../unknown-fields.js';
import type { TaskRecord } from '../../tasks/types.js';
import { editBody, planEdits } from './edits.js';
import { completedOrThrow, encodeAs, planGenerations, type GenerationPlan } from './generations.js';
import { readForm } from './multipart.js';
import { chooseModel, OPENAI_ALIASES } from './model-names.js';
import { GENERATIONS_FIELDS, GENERATIONS_SCHEMA } from './schemas.js';

export interface OpenAiDeps {
  mount: MountContext;
  runner: CallRunner;
  unknown: UnknownFields;
}

function errorType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 && status !== 501 ? 'server_error' : 'invalid_request_error';
}

const CODES: Readonly<Record<string, string>> = {
  unauthorized: 'invalid_api_key', queue_full: 'rate_limit_exceeded', rate_limited: 'rate_limit_exceeded',
};

function write(ctx: Context, e: ShapedError): void {
  ctx.body = { error: { message: e.message, type: errorType(e.status), param: e.field, code: CODES[e.code] ?? e.code } };
}

const generationsCheck = new BodyCheck(GENERATIONS_SCHEMA);

export function openaiRouter(d: OpenAiDeps) {
  const { mount } = d;
  const router = new Router({ prefix: '/v1' });
  const created = Math.floor(Date.now() / 1000);

  /** The Images API answer for finished tasks: URLs or base64 in the asked format, and the size made. */
  const answer = async (ctx: Context, plan: GenerationPlan, done: TaskRecord[]): Promise<void> => {
    const base = mount.baseUrl(ctx);
    const data = await Promise.all(done.map(async (rec) => (plan.format === 'url'
      ? { url: resultUrl(base, rec) }
      : { b64_json: (await encodeAs(await resultBytes(mount.results, rec), plan)).toString('base64') })));
    const first = done[0].result!;
    ctx.body = {
      created: Math.floor(Date.now() / 1000),
      data,
      size: `${first.width}x${first.height}`,
      ...(plan.format === 'b64_json' ? { output_format: plan.output } : {}),
    };
  };

  router.post('/images/generations', async (ctx) => {
    if (mount.keys.enabled) openaiCaller(ctx, mount.keys, undefined); // 401 before reading a body
    const r = generationsCheck.check(await mount.readJson(ctx));
    if (!r.ok) throw CompatError.field(r.problem.field || null, r.problem.message);
    const body = r.body;
    d.unknown.note('images/generations', body, GENERATIONS_FIELDS);
    const user = openaiCaller(ctx, mount.keys, body.user);
    const model = chooseModel(body.model as string | null | undefined, installedModels(mount.models, 'image_creation'), mount.config.compat.openaiModel);
    const plan = planGenerations(body, model);
    await answer(ctx, plan, completedOrThrow(await d.runner.run(ctx, user, plan.requests)));
  });

  router.post('/images/edits', async (ctx) => {
    if (mount.keys.enabled) openaiCaller(ctx, mount.keys, undefined); // 401 before reading a body
    const form = await readForm(ctx, mount.config.limits.bodyBytes);
    const r = generationsCheck.check(editBody(form));
    if (!r.ok) throw CompatError.field(r.problem.field || null, r.problem.message);
    const body = r.body;
    d.unknown.note('images/edits', body, GENERATIONS_FIELDS);
    const user = openaiCaller(ctx, mount.keys, body.user);
    const model = chooseModel(body.model as string | null | undefined, installedModels(mount.models, 'image_creation'), mount.config.compat.openaiModel);
    const plan = await planEdits(form, body, model);
    await answer(ctx, plan, completedOrThrow(await d.runner.run(ctx, user, plan.requests)));
  });

  router.post('/images/variations', (ctx) => {
    if (mount.keys.enabled) openaiCaller(ctx, mount.keys, undefined);
    ctx.req.resume();
    throw CompatError.of('not_implemented', 'Image variations are not available here; /v1/images/edits with a prompt does img2img.');
  });

  const modelList = () => {
    const installed = installedModels(mount.models, 'image_creation');
    const ids = installed.length ? [...OPENAI_ALIASES, ...installed] : [];
    return ids.map((id) => ({ id, object: 'model', created, owned_by: 'backserv' }));
  };
  router.get('/models', (ctx) => {
    if (mount.keys.enabled) openaiCaller(ctx, mount.keys, undefined);
    ctx.body = { object: 'list', data: modelList() };
  });
  router.get('/models/:id', (ctx) => {
    if (mount.keys.enabled) openaiCaller(ctx, mount.keys, undefined);
    const m = modelList().find((x) => x.id === ctx.params.id);
    if (!m) throw CompatError.of('model_not_found', `The model '${ctx.params.id}' does not exist here.`, 'model');
    ctx.body = m;
  });

  return ownPrefix('/v1/', router, mount.log, write);
}
