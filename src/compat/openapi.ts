/**
 * The compat routes in /openapi.json, each API under its own tag, with the request schemas the
 * routes validate with (a1111/schemas.ts, openai/schemas.ts).
 */
import type { OpenApiFragment } from '../api/openapi.js';
import { EXTRA_SINGLE_SCHEMA, IMG2IMG_SCHEMA, OPTIONS_SCHEMA, REMBG_SCHEMA, TXT2IMG_SCHEMA } from './a1111/schemas.js';
import { GENERATIONS_SCHEMA } from './openai/schemas.js';

const A1111 = 'AUTOMATIC1111 compatibility';
const OPENAI = 'OpenAI Images compatibility';
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description = 'ok') => ({ description, content: { 'application/json': { schema } } });
const a1111Error = (description: string) => json(ref('A1111Error'), description);
const openaiError = (description: string) => json(ref('OpenAiError'), description);
const anyJson = { type: 'object', additionalProperties: true };
const list = { type: 'array', items: anyJson };

function a1111(summary: string, responses: Record<string, unknown>, body?: string): Record<string, unknown> {
  return {
    tags: [A1111], summary,
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(body) } } } } : {}),
    responses: { ...responses, 401: a1111Error('API keys are on and the Basic/Bearer credentials are missing or wrong') },
  };
}

function openai(summary: string, responses: Record<string, unknown>, body?: string): Record<string, unknown> {
  return {
    tags: [OPENAI], summary,
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(body) } } } } : {}),
    responses: { ...responses, 401: openaiError('API keys are on and the Bearer key is missing or wrong') },
  };
}

const syncErrors = (err: (d: string) => unknown) => ({
  429: err('queue_full or rate_limited (the same caps as submit_task)'),
  500: err('a task failed (its error_info)'),
  503: err('no model installed'),
  504: err('not done within BACKSERV_COMPAT_WAIT_MS; the tasks were cancelled'),
});

const rembgAnswer = {
  type: 'object', required: ['image'],
  properties: { image: { type: 'string', description: 'base64 PNG: the cut-out with alpha, or the greyscale matte (return_mask)' }, info: { type: 'string', description: 'what was done differently from the request, when anything was' } },
};

export function compatOpenApi(): OpenApiFragment {
  return {
    tags: [
      { name: A1111, description: 'The /sdapi/v1 subset that A1111 clients call. Synchronous; every image is an ordinary task (query_task sees it); a client that disconnects cancels its tasks. Options, progress, interrupt and skip act on the caller only.' },
      { name: OPENAI, description: 'OpenAI Images API (/v1): generations, edits (img2img / inpainting) and models; variations answer 501. Errors are {error: {message, type, param, code}}.' },
    ],
    schemas: {
      A1111Txt2Img: TXT2IMG_SCHEMA,
      A1111Img2Img: IMG2IMG_SCHEMA,
      A1111ExtraSingleImage: EXTRA_SINGLE_SCHEMA,
      A1111Rembg: REMBG_SCHEMA,
      A1111Options: OPTIONS_SCHEMA,
      A1111Error: { type: 'object', required: ['error', 'detail'], properties: { error: { type: 'string' }, message: { type: 'string' }, detail: {} } },
      A1111Txt2ImgResponse: {
        type: 'object', required: ['images', 'parameters', 'info'],
        properties: {
          images: { type: 'array', items: { type: 'string', description: 'base64 PNG' } },
          parameters: anyJson,
          info: { type: 'string', description: 'JSON: seed, all_seeds, width, height, sampler_name, steps, cfg_scale, infotexts[], backserv {ticket_ids, notes}' },
        },
      },
      OpenAiGenerations: GENERATIONS_SCHEMA,
      OpenAiImages: {
        type: 'object', required: ['created', 'data'],
        properties: {
          created: { type: 'integer' },
          data: { type: 'array', items: { type: 'object', properties: { url: { type: 'string' }, b64_json: { type: 'string' } } } },
          size: { type: 'string', description: 'the size made, after fitting' },
          output_format: { type: 'string' },
        },
      },
      OpenAiError: {
        type: 'object', required: ['error'],
        properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } } } },
      },
    },
    paths: {
      '/sdapi/v1/txt2img': { post: a1111('Text to image, with the hires fix (enable_hr, hr_*) (waits for the images)', { 200: json(ref('A1111Txt2ImgResponse')), 422: a1111Error('a field has the wrong type, or a hires field is out of range (hr_scale, hr_resize_x/y, hr_upscaler, denoising_strength)'), ...syncErrors(a1111Error) }, 'A1111Txt2Img') },
      '/sdapi/v1/img2img': { post: a1111('Image to image and inpainting (waits for the images)', { 200: json(ref('A1111Txt2ImgResponse')), 422: a1111Error('a field has the wrong type'), ...syncErrors(a1111Error) }, 'A1111Img2Img') },
      '/sdapi/v1/extra-single-image': { post: a1111('Upscale one image (image_upscale)', { 200: json({ type: 'object', properties: { html_info: { type: 'string' }, image: { type: 'string' } } }), 422: a1111Error('bad body'), ...syncErrors(a1111Error) }, 'A1111ExtraSingleImage') },
      '/rembg': { post: a1111('Remove the background of one image (background_removal), as the rembg extension', { 200: json(rembgAnswer), 422: a1111Error('bad body'), ...syncErrors(a1111Error) }, 'A1111Rembg') },
      '/sdapi/v1/rembg': { post: a1111('Same as POST /rembg', { 200: json(rembgAnswer), 422: a1111Error('bad body'), ...syncErrors(a1111Error) }, 'A1111Rembg') },
      '/sdapi/v1/sd-models': { get: a1111('Installed image_creation models', { 200: json(list) }) },
      '/sdapi/v1/options': {
        get: a1111('Your options (sd_model_checkpoint: your default, else the server\'s)', { 200: json(anyJson) }),
        post: a1111('Set your default checkpoint (yours only)', { 200: json({ type: 'null' }), 400: a1111Error('checkpoint not installed') }, 'A1111Options'),
      },
      '/sdapi/v1/loras': { get: a1111('LoRAs in the LoRA folder (BACKSERV_LORA_DIR): name, alias, path (the file name), metadata; use them through image_creation task_params.loras', { 200: json(list) }) },
      '/sdapi/v1/samplers': { get: a1111('Samplers', { 200: json(list) }) },
      '/sdapi/v1/schedulers': { get: a1111('Schedule types', { 200: json(list) }) },
      '/sdapi/v1/upscalers': { get: a1111('Upscalers hr_upscaler and upscaler_1 accept: None, the A1111 names that resolve to an installed model (model_name: the one that runs), the installed ids', { 200: json(list) }) },
      '/sdapi/v1/sd-vae': { get: a1111('Separate VAEs (none)', { 200: json(list) }) },
      '/sdapi/v1/latent-upscale-modes': { get: a1111('A1111\'s latent upscale modes (all run as Latent, bilinear)', { 200: json(list) }) },
      '/sdapi/v1/face-restorers': { get: a1111('Face restorers: the installed face_enhance models (GFPGAN, CodeFormer)', { 200: json(list) }) },
      '/sdapi/v1/progress': { get: a1111('Progress of your own open txt2img call (current_image: null, no previews yet)', { 200: json(anyJson) }) },
      '/sdapi/v1/interrupt': { post: a1111('Cancel your own unfinished tasks (never anyone else\'s)', { 200: json(anyJson) }) },
      '/sdapi/v1/skip': { post: a1111('Cancel your own running task; the rest of your batch goes on', { 200: json(anyJson) }) },
      '/v1/images/generations': { post: openai('Create images (waits for them)', { 200: json(ref('OpenAiImages')), 400: openaiError('invalid_request_error'), 404: openaiError('model_not_found'), ...syncErrors(openaiError) }, 'OpenAiGenerations') },
      '/v1/images/edits': { post: { ...openai('Edit an image: img2img, or inpainting where the mask is transparent (waits for the images)', { 200: json(ref('OpenAiImages')), 400: openaiError('invalid_request_error'), 415: openaiError('not multipart/form-data'), ...syncErrors(openaiError) }), requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', required: ['image', 'prompt'], properties: { image: { type: 'string', format: 'binary' }, mask: { type: 'string', format: 'binary' }, prompt: { type: 'string' }, n: { type: 'integer' }, size: { type: 'string' }, response_format: { type: 'string' }, model: { type: 'string' }, user: { type: 'string' } } } } } } } },
      '/v1/images/variations': { post: openai('Not available yet (needs img2img)', { 501: openaiError('not implemented yet') }) },
      '/v1/models': { get: openai('Image models: the OpenAI names that map to the default, and the installed ids', { 200: json(anyJson) }) },
      '/v1/models/{id}': { get: { ...openai('One model', { 200: json(anyJson), 404: openaiError('model_not_found') }), parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] } },
    },
  };
}
