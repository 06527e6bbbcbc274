/**
 * The AUTOMATIC1111 API subset that real clients call (LibreChat, Open WebUI, SillyTavern,
 * Krita/Photoshop plugins): txt2img (with the hires fix) and extra-single-image become ordinary tasks through the
 * submit_task path; the lists describe what is really installed; options, progress, interrupt
 * and skip are per caller. Errors: `{error, message, detail}` (FastAPI's `detail`; a 422 lists
 * the field as FastAPI does).
 */
import { LORA_EXT, listLoras } from '../../models/lora/lora-folder.js';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { MountContext } from '../../api/app-mount.js';
import type { TaskRecord } from '../../tasks/types.js';
import type { ActiveCalls } from '../active-calls.js';
import { BodyCheck } from '../body-check.js';
import type { CallRunner } from '../call-runner.js';
import { CompatError, failedTaskError, ownPrefix, type ShapedError } from '../errors.js';
import { a1111Caller } from '../identity.js';
import { installedModels, modelHash, resolveCheckpoint } from '../models.js';
import { resultBytes, previewBytes } from '../result-bytes.js';
import type { UnknownFields } from '../unknown-fields.js';
import { EXTRAS_FIELDS, planExtras } from './extras-plan.js';
import { buildInfo } from './info.js';
import { progressOf, stopOwn } from './progress.js';
import { SAMPLERS, SCHEDULES } from './samplers.js';
import { planRembg, REMBG_FIELDS } from './rembg-plan.js';
import { LATENT_MODES, pixelUpscalers } from './upscaler-names.js';
import { MAX_SIDE, sdFamily } from '../../pipelines/image-creation/family.js';
import { EXTRA_SINGLE_SCHEMA, IMG2IMG_SCHEMA, OPTIONS_SCHEMA, REMBG_SCHEMA, TXT2IMG_SCHEMA } from './schemas.js';
import { IMG2IMG_FIELDS, planImg2img, planTxt2img, TXT2IMG_FIELDS } from './txt2img-plan.js';
import type { UserOptionsStore } from './user-options.js';

export interface A1111Deps {
  mount: MountContext;
  runner: CallRunner;
  calls: ActiveCalls;
  options: UserOptionsStore;
  unknown: UnknownFields;
}

function write(ctx: Context, e: ShapedError): void {
  ctx.body = e.status === 422
    ? { error: e.code, message: e.message, detail: [{ loc: ['body', ...(e.field ? e.field.split('.') : [])], msg: e.message, type: 'value_error' }] }
    : { error: e.code, message: e.message, detail: e.message };
}

const txt2imgCheck = new BodyCheck(TXT2IMG_SCHEMA);
const img2imgCheck = new BodyCheck(IMG2IMG_SCHEMA);
const extrasCheck = new BodyCheck(EXTRA_SINGLE_SCHEMA);
const optionsCheck = new BodyCheck(OPTIONS_SCHEMA);
const rembgCheck = new BodyCheck(REMBG_SCHEMA);

function checked(check: BodyCheck, raw: unknown): Record<string, unknown> {
  const r = check.check(raw);
  if (!r.ok) throw CompatError.field(r.problem.field || null, r.problem.message, 422);
  return r.body;
}

/** A failed task fails the call (its reason is the task's error_info, which query_task shows too). */
function throwIfFailed(records: readonly TaskRecord[]): void {
  const failed = records.find((r) => r.status === 'Failed');
  if (failed) throw failedTaskError(failed);
}

export function a1111Router(d: A1111Deps) {
  const { mount } = d;
  const router = new Router({ prefix: '/sdapi/v1' });
  const root = new Router();
  const caller = (ctx: Context) => a1111Caller(ctx, mount.keys);
  const body = (ctx: Context) => mount.readJson(ctx);
  const defaultModel = () => mount.models.resolve('image_creation')?.id ?? null;
  const maxSide = (model: string | null) => {
    const m = mount.models.resolve('image_creation', model ?? undefined);
    return m ? MAX_SIDE[sdFamily(m)] : MAX_SIDE.sd;
  };

  /** txt2img and img2img: one plan → tasks → A1111's {images, parameters, info}. */
  const generate = (route: 'txt2img' | 'img2img', check: BodyCheck, fields: ReadonlySet<string>, schema: { properties: Record<string, unknown> },
    plan: typeof planTxt2img) => async (ctx: Context) => {
    const user = caller(ctx);
    const req = checked(check, await body(ctx));
    d.unknown.note(route, req, fields);
    const made = plan(req, {
      installed: installedModels(mount.models, 'image_creation'),
      userCheckpoint: await d.options.checkpoint(user),
      maxImages: mount.config.compat.maxImages,
      upscalers: installedModels(mount.models, 'image_upscale'),
      maxSide,
    });
    const records = await d.runner.run(ctx, user, made.requests);
    throwIfFailed(records);
    const done = records.filter((r) => r.status === 'Completed');
    const notes = [...made.notes];
    if (done.length < records.length) notes.push(`${records.length - done.length} of ${records.length} images were cancelled (interrupt, skip or cancel_task)`);
    const images = made.sendImages ? await Promise.all(done.map(async (r) => (await resultBytes(mount.results, r)).toString('base64'))) : [];
    const parameters = Object.fromEntries(Object.keys(schema.properties).map((k) => [k, k === 'init_images' || k === 'mask' ? null : req[k] ?? null]));
    ctx.body = { images, parameters, info: buildInfo(made, records, notes) };
  };

  router.post('/txt2img', generate('txt2img', txt2imgCheck, TXT2IMG_FIELDS, TXT2IMG_SCHEMA, planTxt2img));
  router.post('/img2img', generate('img2img', img2imgCheck, IMG2IMG_FIELDS, IMG2IMG_SCHEMA, planImg2img));

  router.post('/extra-single-image', async (ctx) => {
    const user = caller(ctx);
    const req = checked(extrasCheck, await body(ctx));
    d.unknown.note('extra-single-image', req, EXTRAS_FIELDS);
    const plan = planExtras(req, installedModels(mount.models, 'image_upscale'), installedModels(mount.models, 'image_upscale', 'enhancer'));
    const records = await d.runner.run(ctx, user, [plan.request]);
    throwIfFailed(records);
    const rec = records[0];
    if (rec.status !== 'Completed') throw CompatError.of('cancelled', `The upscale was cancelled (ticket ${rec.ticket_id}).`);
    const r = rec.result!;
    const text = [`Upscaled ×${String(plan.request.task_params.scale_factor)} with ${String(r.model ?? 'the default upscaler')} to ${r.width}x${r.height}.`, ...plan.notes].join(' ');
    ctx.body = { html_info: `<p>${text.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`, image: (await resultBytes(mount.results, rec)).toString('base64') };
  });

  // The rembg extension answers POST /rembg at the root; /sdapi/v1/rembg is the same call.
  const rembg = async (ctx: Context) => {
    const user = caller(ctx);
    const req = checked(rembgCheck, await body(ctx));
    d.unknown.note('rembg', req, REMBG_FIELDS);
    const plan = planRembg(req, installedModels(mount.models, 'background_removal'));
    const records = await d.runner.run(ctx, user, [plan.request]);
    throwIfFailed(records);
    const rec = records[0];
    if (rec.status !== 'Completed') throw CompatError.of('cancelled', `The background removal was cancelled (ticket ${rec.ticket_id}).`);
    ctx.body = { image: (await resultBytes(mount.results, rec)).toString('base64'), ...(plan.notes.length ? { info: plan.notes.join(' ') } : {}) };
  };
  router.post('/rembg', rembg);
  root.post('/rembg', rembg);

  router.get('/sd-models', (ctx) => {
    caller(ctx);
    ctx.body = installedModels(mount.models, 'image_creation').map((id) => {
      const hash = modelHash(id);
      return { title: id, model_name: id, hash, sha256: null, filename: id, config: null };
    });
  });

  router.get('/options', async (ctx) => {
    const user = caller(ctx);
    const mine = await d.options.checkpoint(user);
    const current = (mine && resolveCheckpoint(mine, installedModels(mount.models, 'image_creation'))) || defaultModel();
    ctx.body = {
      sd_model_checkpoint: current, sd_checkpoint_hash: current ? modelHash(current) : null,
      sd_vae: 'Automatic', CLIP_stop_at_last_layers: 1, samples_format: 'png',
    };
  });

  router.post('/options', async (ctx) => {
    const user = caller(ctx);
    const req = checked(optionsCheck, await body(ctx));
    d.unknown.note('options', req, new Set(['sd_model_checkpoint', 'sd_checkpoint_hash', 'sd_vae', 'CLIP_stop_at_last_layers', 'samples_format']));
    const asked = req.sd_model_checkpoint;
    if (typeof asked === 'string') {
      const installed = installedModels(mount.models, 'image_creation');
      const id = resolveCheckpoint(asked, installed);
      if (!id) throw CompatError.field('sd_model_checkpoint', `Checkpoint "${asked}" is not installed; installed: ${installed.join(', ') || 'none'}.`);
      await d.options.setCheckpoint(user, id);
      mount.log.info({ user_id: user, checkpoint: id }, 'compat: A1111 default checkpoint set for this user');
    }
    ctx.type = 'application/json';
    ctx.body = 'null';
  });

  // A1111's shape; `path` is the file name only (never a server path).
  router.get('/loras', (ctx) => {
    caller(ctx);
    ctx.body = listLoras(mount.config.loraDir).map((l) => ({ name: l.name, alias: l.name, path: `${l.name}${LORA_EXT}`, metadata: {} }));
  });

  router.get('/samplers', (ctx) => {
    caller(ctx);
    ctx.body = SAMPLERS.map((s) => ({ name: s.name, aliases: s.aliases, options: s.schedule ? { scheduler: s.schedule } : {} }));
  });
  router.get('/schedulers', (ctx) => {
    caller(ctx);
    ctx.body = SCHEDULES;
  });
  // What hr_upscaler (and extra-single-image's upscaler_1) accept: None first (SillyTavern splices
  // the latent modes in after it), then the A1111 names and the ids of the installed models.
  router.get('/upscalers', (ctx) => {
    caller(ctx);
    const none = { name: 'None', model_name: null, model_path: null, model_url: null, scale: 4 };
    ctx.body = [none, ...pixelUpscalers(installedModels(mount.models, 'image_upscale'))
      .map((u) => ({ name: u.name, model_name: u.id, model_path: null, model_url: null, scale: 4 }))];
  });
  router.get('/latent-upscale-modes', (ctx) => {
    caller(ctx);
    ctx.body = LATENT_MODES.map((name) => ({ name }));
  });
  router.get('/face-restorers', (ctx) => {
    caller(ctx);
    // A1111's names for the restorers its extras fields (gfpgan_visibility, codeformer_visibility) drive.
    const names: Record<string, string> = { 'gfpgan-1.4': 'GFPGAN', codeformer: 'CodeFormer' };
    ctx.body = installedModels(mount.models, 'image_upscale', 'enhancer').map((id) => ({ name: names[id] ?? id, cmd_dir: null }));
  });
  for (const empty of ['/sd-vae']) {
    router.get(empty, (ctx) => {
      caller(ctx);
      ctx.body = [];
    });
  }

  const progressDeps = { calls: d.calls, store: mount.store, frontend: mount.frontend, preview: (name: string) => previewBytes(mount.results, name) };
  router.get('/progress', async (ctx) => {
    ctx.body = await progressOf(progressDeps, caller(ctx));
  });
  for (const which of ['interrupt', 'skip'] as const) {
    router.post(`/${which}`, async (ctx) => {
      const user = caller(ctx);
      ctx.req.resume();
      const n = await stopOwn(progressDeps, user, which);
      if (n > 0) mount.log.info({ user_id: user, tasks: n }, `compat: ${which} cancelled the caller's tasks`);
      ctx.body = {};
    });
  }

  const sdapi = ownPrefix('/sdapi/', router, mount.log, write);
  const rootRembg = ownPrefix('/rembg', root, mount.log, write);
  const both: Middleware = (ctx, next) => (ctx.path === '/rembg' ? rootRembg(ctx, next) : sdapi(ctx, next));
  return both;
}
