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
    enable_hr: opt('boolean', { description: 'hires fix: generate at width × height, enlarge by hr_scale, then a second img2img pass (image_creation\'s hires); the hr_* fields are read only with it' }),
    hr_scale: opt('number', { description: 'hires scale, 1 to 2 (default 2); out of range: 422. The first pass is fitted so the output stays within the model\'s largest side' }),
    hr_resize_x: opt('integer', { minimum: 0, description: 'hires output width instead of hr_scale (0: not given); with hr_resize_y both must imply the same scale' }),
    hr_resize_y: opt('integer', { minimum: 0, description: 'hires output height instead of hr_scale (0: not given)' }),
    hr_upscaler: opt('string', { description: 'None or a Latent mode (latent upscale), R-ESRGAN 4x+, R-ESRGAN 4x+ Anime6B, ESRGAN_4x (an installed Real-ESRGAN model), or an installed upscaler id; others: 422' }),
    hr_second_pass_steps: opt('integer', { minimum: 0, description: 'second-pass steps; 0 (default): the same as steps' }),
    denoising_strength: opt('number', { description: 'with enable_hr: the second pass\'s strength, 0 to 1 (default 0.7)' }),
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

/** img2img: everything txt2img takes, plus the init image, the mask and how to use them. */
export const IMG2IMG_SCHEMA = {
  ...TXT2IMG_SCHEMA,
  required: ['init_images'],
  properties: {
    ...TXT2IMG_SCHEMA.properties,
    init_images: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'base64 images (the first is used), with or without a data: prefix' },
    denoising_strength: opt('number', { minimum: 0, maximum: 1, description: 'how much to change the init image (default 0.75)' }),
    resize_mode: opt('integer', { minimum: 0, maximum: 3, description: '0 just resize, 1 crop and resize, 2 resize and fill, 3 latent upscale (as 0)' }),
    mask: opt('string', { description: 'base64 mask (white = repaint)' }),
    mask_blur: opt('integer', { minimum: 0 }),
    inpainting_fill: opt('integer', { minimum: 0, maximum: 3, description: '0 fill, 1 original, 2 latent noise, 3 latent nothing (as 2)' }),
    inpaint_full_res: opt(['boolean', 'integer'], { description: 'inpaint the masked area at full resolution' }),
    inpaint_full_res_padding: opt('integer', { minimum: 0 }),
    inpainting_mask_invert: opt('integer', { minimum: 0, maximum: 1 }),
  },
} as const;

export const EXTRA_SINGLE_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['image'],
  properties: {
    image: { type: 'string', minLength: 1, description: 'base64 image (PNG, JPEG or WebP), with or without a data: prefix' },
    upscaling_resize: opt('number', { minimum: 1, maximum: 8, description: 'rounded to 2–4 (the upscaler\'s scales)' }),
    upscaler_1: opt('string', { description: 'a name from /sdapi/v1/upscalers (A1111\'s R-ESRGAN/ESRGAN names or an installed id); None or unknown: the default upscaler' }),
    gfpgan_visibility: opt('number', { minimum: 0, maximum: 1, description: 'above 0: face_enhance with gfpgan-1.4 at this blend, when installed' }),
    codeformer_visibility: opt('number', { minimum: 0, maximum: 1, description: 'above 0: face_enhance with codeformer at this blend, when installed (one restorer per image: the more visible one)' }),
    codeformer_weight: opt('number', { minimum: 0, maximum: 1, description: 'CodeFormer\'s w, face_enhance.fidelity (0 = strongest restoration); default 0.5' }),
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
