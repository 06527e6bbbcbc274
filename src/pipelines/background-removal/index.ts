/**
 * background_removal: fetch → decode → segmentation model at its square size → full-resolution
 * matte (bilinear upsampling + guided-filter refinement, optional threshold and feather) →
 * `rgba` | `mask` | `composite` PNG at the input's size.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { encodePng } from '../../imaging/png-text.js';
import { inNative } from '../../runtime/native-gate.js';
import { TaskError } from '../../tasks/task-errors.js';
import type { ResultMeta } from '../../tasks/types.js';
import { checkpoint } from '../checkpoint.js';
import type { TaskParams } from '../params/types.js';
import type { PipelineContext } from '../types.js';
import { writeResultFile } from '../write-result.js';
import { installedModel } from '../installed-model.js';
import { composeMask, composeOver, composeRgba, solidBackground, type Composed } from './compose.js';
import { buildMatte } from './matte.js';
import { parse, type RemovalSettings } from './params.js';
import { segment } from './segment.js';
import { segmenterFor } from './segmenters.js';

export async function runBackgroundRemoval(params: TaskParams, ctx: PipelineContext): Promise<ResultMeta> {
  const settings = parse(params, installedModel(ctx.models, 'background_removal', 'background-removal'));
  return removeBackground(settings, ctx);
}

async function removeBackground(s: RemovalSettings, ctx: PipelineContext): Promise<ResultMeta> {
  const spec = segmenterFor(s.model.id);
  if (!spec) throw new TaskError(`Model ${s.model.id} has no background-removal adapter in this build.`, 'model_incompatible');
  // Three steps: loaded, segmented, matte done. The last report comes before the compose and
  // encode, so it reaches the task's record before the result does (as upscale's last tile).
  const total = 3;
  ctx.progress(0, total);
  const t0 = performance.now();
  const img = await ctx.loadImage(s.imageUrl, 'image_url');
  const fill = s.backgroundFill;
  const bgImage = s.output === 'composite' && fill.kind === 'image'
    ? await ctx.loadImage(fill.ref, 'background') : null;
  const tFetched = performance.now();
  const session = await ctx.sessions.get(join(s.model.dir, 'model.onnx'));
  const tLoaded = performance.now();
  ctx.progress(1, total);
  await checkpoint(ctx.signal);

  const low = await segment(session, img, spec);
  const tSegmented = performance.now();
  ctx.progress(2, total);
  await checkpoint(ctx.signal);

  const matte = buildMatte(img, low.data, low.size, ctx.kernels, { threshold: s.maskThreshold, feather: s.feather });
  const tMatte = performance.now();
  ctx.progress(total, total);
  await checkpoint(ctx.signal);

  let composed: Composed;
  if (s.output === 'mask') composed = composeMask(img, matte);
  else if (s.output === 'rgba') composed = composeRgba(img, matte);
  else {
    const n = img.width * img.height;
    const bg = bgImage
      ? await inNative(() => sharp(bgImage.data, { raw: { width: bgImage.width, height: bgImage.height, channels: bgImage.channels } })
        .ensureAlpha().resize(img.width, img.height, { fit: 'cover' }).raw().toBuffer())
      : solidBackground(n, fill.kind === 'colour' ? fill.rgba : [255, 255, 255, 255]);
    composed = dropOpaqueAlpha(composeOver(img, matte, bg));
  }
  const png = await encodePng(composed.data, img.width, img.height, composed.channels, {
    Software: 'Back.Serv',
    'backserv:model': s.model.id,
    'backserv:output': s.output,
  });
  const file = `${ctx.ticketId}.png`;
  await writeResultFile(ctx.resultsDir, file, png);
  const ms = (a: number, b: number) => Math.round(b - a);
  return {
    file,
    content_type: 'image/png',
    width: img.width,
    height: img.height,
    model: s.model.id,
    output: s.output,
    refinement: ctx.kernels.backend === 'native' ? 'guided (native)' : 'guided (typescript)',
    timings: {
      fetch_decode_ms: ms(t0, tFetched),
      model_load_ms: ms(tFetched, tLoaded),
      inference_ms: ms(tLoaded, tSegmented),
      matte_ms: ms(tSegmented, tMatte),
      encode_ms: ms(tMatte, performance.now()),
    },
  };
}

/** An opaque composite is written as RGB (smaller, and says there is no transparency). */
function dropOpaqueAlpha(c: Composed): Composed {
  for (let i = 3; i < c.data.length; i += 4) if (c.data[i] !== 255) return c;
  const n = c.data.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = c.data[i * 4];
    rgb[i * 3 + 1] = c.data[i * 4 + 1];
    rgb[i * 3 + 2] = c.data[i * 4 + 2];
  }
  return { data: rgb, channels: 3 };
}
