/**
 * JSON Schemas of the A1111 request bodies this server reads: one source for validation (types
 * only; clamping and fall-backs happen in the mapping, as A1111 itself is lenient) and for the
 * OpenAPI document. Other fields are accepted and ignored (clients send dozens).
 */
const opt = (type: string | string[], extra: Record<string, unknown> = {}) =>
  ({ type: [...(Array.isArray(type) ? type : [type]), 'null'], ...extra });

export const TXT2IMG_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  properties: {
    prompt: opt('string', { maxLength: 2000, description: 'empty: an unconditional image, as in A1111' }),
    negative_prompt: opt('string', { maxLength: 2000 }),
    seed: opt('integer', { description: '-1 (default): random; batch images get seed, seed+1, …' }),
    sampler_name: opt('string', { description: 'Euler a, Euler, DPM++ 2M, DPM++ 2M Karras, DDIM, LCM; others fall back to the model default (said in info)' }),
    sampler_index: opt('string', { description: 'older name of sampler_name' }),
    scheduler: opt('string', { description: 'Automatic or Karras' }),
    batch_size: opt('integer', { minimum: 1 }),
    n_iter: opt('integer', { minimum: 1 }),
    steps: opt('integer', { minimum: 1, description: 'default: the model\'s (1 for SD-Turbo); more than 100 is clamped' }),
    cfg_scale: opt('number', { minimum: 0, description: 'default: the model\'s; above 30 is clamped' }),
    width: opt('integer', { minimum: 1, description: 'rounded to a multiple of 8 in 64–1024 (aspect kept; said in info)' }),
    height: opt('integer', { minimum: 1 }),
    restore_faces: opt('boolean'),
    tiling: opt('boolean'),
    enable_hr: opt('boolean', { description: 'hires fix: not available yet; ignored and said in info' }),
    hr_scale: opt('number'),
    hr_upscaler: opt('string'),
    hr_second_pass_steps: opt('integer'),
    denoising_strength: opt('number'),
    styles: opt('array', { items: { type: 'string' } }),
    subseed_strength: opt('number'),
    override_settings: opt('object', {
      additionalProperties: true,
      properties: { sd_model_checkpoint: opt('string', { description: 'a title from /sdapi/v1/sd-models' }) },
    }),
    send_images: opt('boolean'),
    save_images: opt('boolean'),
    alwayson_scripts: opt('object'),
  },
} as const;

export const EXTRA_SINGLE_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['image'],
  properties: {
    image: { type: 'string', minLength: 1, description: 'base64 image (PNG, JPEG or WebP), with or without a data: prefix' },
    upscaling_resize: opt('number', { minimum: 1, maximum: 8, description: 'rounded to 2–4 (the upscaler\'s scales)' }),
    upscaler_1: opt('string', { description: 'a name from /sdapi/v1/upscalers; None or unknown: the default upscaler' }),
    resize_mode: opt('integer'),
  },
} as const;

export const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  properties: {
    sd_model_checkpoint: opt('string', { description: 'your own default checkpoint (per user: other users are not affected)' }),
  },
} as const;

/** The rembg extension's POST /rembg body (stable-diffusion-webui-rembg). */
export const REMBG_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['input_image'],
  properties: {
    input_image: { type: 'string', minLength: 1, description: 'base64 image (PNG, JPEG or WebP), with or without a data: prefix' },
    model: opt('string', { description: 'an installed background_removal model id (u2net, birefnet-general, selfie-segmentation); None, empty or unknown: the default model' }),
    return_mask: opt('boolean', { description: 'answer the matte (greyscale) instead of the cut-out' }),
    alpha_matting: opt('boolean', { description: 'accepted; the edge-aware refinement here is always on' }),
    alpha_matting_foreground_threshold: opt('integer'),
    alpha_matting_background_threshold: opt('integer'),
    alpha_matting_erode_size: opt('integer'),
  },
} as const;
