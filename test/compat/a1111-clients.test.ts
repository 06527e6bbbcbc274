/**
 * Request sequences of real A1111 clients, reproduced from their public source, against the
 * real service on the sd-turbo test model:
 * - LibreChat, api/app/clients/tools/structured/StableDiffusion.js (`_call`): one txt2img with
 *   {prompt, negative_prompt, cfg_scale 4.5, steps 22, 1024×1024}; reads images[0] and
 *   JSON.parse(info) (`seed`, `width`, `height`, `infotexts[0].split('\n').pop()`).
 * - Open WebUI, backend/open_webui/routers/images.py (automatic1111 engine): GET options and
 *   sd-models with an `authorization` header that is empty when no auth is set, POST back the
 *   whole options object with sd_model_checkpoint = a title, then txt2img {prompt, batch_size: n,
 *   width, height, steps, negative_prompt}; reads images[] and info.
 * - SillyTavern, src/endpoints/stable-diffusion.js (+ public/scripts/extensions/stable-diffusion/
 *   index.js for the body): the lists it loads, set-model (POST options, then poll progress until
 *   progress 0 and job_count 0), generate (GET options for `forge_preset`, then txt2img with its
 *   own `url`/`auth` fields and many A1111 fields), and POST interrupt when its user stops.
 * - The rembg extension (stable-diffusion-webui-rembg, scripts/api.py): POST /rembg with
 *   {input_image, model, return_mask, alpha_matting, alpha_matting_*}; reads `image` (base64 PNG).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureImage, getJson } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { call, modelsWithSecondCheckpoint, pngSize } from './support.js';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ BACKSERV_MODELS_DIR: modelsWithSecondCheckpoint() });
});
afterAll(async () => svc?.close());

const sd = (path: string) => `${svc.url}/sdapi/v1/${path}`;

describe('A1111 clients, unchanged', () => {
  it('LibreChat stable-diffusion tool: a 1024² PNG, info a JSON string whose last infotext line has the settings', async () => {
    const payload = { prompt: 'photo of a man in black clothes, coastline', negative_prompt: 'cgi, 3d, render', cfg_scale: 4.5, steps: 22, width: 1024, height: 1024 };
    const res = await call(sd('txt2img'), { body: payload });
    expect(res.status).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([1024, 1024]);
    expect(typeof res.body.info).toBe('string');
    const info = JSON.parse(res.body.info);
    expect(info).toMatchObject({ width: 1024, height: 1024, steps: 22, cfg_scale: 4.5, seed: info.all_seeds[0] });
    const line = (info.infotexts[0] as string).split('\n').pop();
    expect(line).toContain('Steps: 22');
    expect(line).toContain(`Seed: ${info.seed}`);
    expect(line).toContain('Size: 1024x1024');
    expect(info.infotexts[0]).toContain('Negative prompt: cgi, 3d, render');
    // The image is an ordinary task: query_task sees it.
    const q = await getJson(`${svc.url}/query_task/${info.backserv.ticket_ids[0]}`);
    expect(q.body).toMatchObject({ status: 'Completed', task_type: 'image_creation', user_id: 'ip:127.0.0.1' });
  });

  it('Open WebUI automatic1111 engine: options → sd-models → POST options back → txt2img with batch_size', async () => {
    const headers = { authorization: '' };
    const options = await call(sd('options'), { headers });
    expect(options.status).toBe(200);
    const models = await call(sd('sd-models'), { headers });
    const list = (models.body as { title: string; model_name: string }[]).map((m) => ({ id: m.title, name: m.model_name }));
    expect(list.map((m) => m.id).sort()).toEqual(['sd-turbo', 'sd15']);
    // set_image_model: the options it read, with the new checkpoint, posted back whole.
    const chosen = list.find((m) => m.id === 'sd15')!.id;
    const posted = await call(sd('options'), { headers, body: { ...options.body, sd_model_checkpoint: chosen } });
    expect(posted.status).toBe(200);
    expect((await call(sd('options'), { headers })).body.sd_model_checkpoint).toBe('sd15');

    const res = await call(sd('txt2img'), { headers, body: { prompt: 'a red boat', batch_size: 2, width: 256, height: 256, steps: 2, negative_prompt: 'blurry' } });
    expect(res.status).toBe(200);
    expect(res.body.images).toHaveLength(2);
    for (const img of res.body.images) expect(await pngSize(img)).toEqual([256, 256]);
    const info = JSON.parse(res.body.info);
    expect(info.sd_model_name).toBe('sd15');
    expect(info.all_seeds).toEqual([info.seed, (info.seed + 1) % 2 ** 32]);
    // Put this caller's default back for the tests after it.
    await call(sd('options'), { body: { sd_model_checkpoint: 'sd-turbo' } });
  });

  it('SillyTavern: lists, set-model with progress polling, then generate with its full payload', async () => {
    const auth = { Authorization: `Basic ${Buffer.from('st:secret').toString('base64')}` };
    for (const [path, key] of [['upscalers', 'name'], ['latent-upscale-modes', 'name'], ['sd-vae', 'model_name'], ['samplers', 'name'], ['schedulers', 'name'], ['sd-models', 'title']] as const) {
      const r = await call(sd(path), { headers: auth });
      expect(r.status, path).toBe(200);
      expect(Array.isArray(r.body), path).toBe(true);
      for (const item of r.body) expect(typeof item[key], `${path}.${key}`).toBe('string');
    }
    const upscalers = (await call(sd('upscalers'), { headers: auth })).body.map((x: { name: string }) => x.name);
    expect(upscalers[0]).toBe('None'); // SillyTavern splices the latent modes in after index 0
    const samplers = (await call(sd('samplers'), { headers: auth })).body.map((x: { name: string }) => x.name);
    expect(samplers).toEqual(expect.arrayContaining(['Euler a', 'Euler', 'DPM++ 2M', 'DPM++ 2M Karras', 'DDIM', 'LCM']));

    // set-model: POST options, then poll progress until idle.
    expect((await call(sd('options'), { headers: { ...auth }, body: { sd_model_checkpoint: 'sd-turbo' } })).status).toBe(200);
    const progress = await call(sd('progress'), { headers: auth });
    expect(progress.body).toMatchObject({ progress: 0, state: { job_count: 0 }, current_image: null });

    // generate: GET options (Forge check), then txt2img with the body the extension builds.
    expect('forge_preset' in (await call(sd('options'), { headers: auth })).body).toBe(false);
    const body = {
      url: 'http://127.0.0.1:7860', auth: 'st:secret',
      prompt: 'a castle on a hill', negative_prompt: 'lowres', sampler_name: 'DPM++ 2M', scheduler: 'Karras', steps: 3, cfg_scale: 7,
      width: 320, height: 256, restore_faces: false, enable_hr: false, hr_upscaler: 'Latent', hr_scale: 2, hr_additional_modules: [],
      denoising_strength: 0.7, hr_second_pass_steps: 0, seed: 1234,
      override_settings: { CLIP_stop_at_last_layers: 1, sd_vae: undefined, forge_additional_modules: undefined },
      override_settings_restore_afterwards: true, clip_skip: 1, save_images: true, send_images: true, do_not_save_grid: false, do_not_save_samples: false,
    };
    const res = await call(sd('txt2img'), { headers: auth, body });
    expect(res.status).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([320, 256]);
    const info = JSON.parse(res.body.info);
    expect(info).toMatchObject({ seed: 1234, all_seeds: [1234], sampler_name: 'DPM++ 2M Karras', steps: 3, cfg_scale: 7, width: 320, height: 256 });
    expect(info.backserv.notes).toEqual([]); // nothing it asked for was ignored
    // Its own fields are not echoed back (A1111 drops unknown fields too).
    expect(res.body.parameters).not.toHaveProperty('auth');
    expect(res.body.parameters).toMatchObject({ prompt: 'a castle on a hill', seed: 1234, sampler_name: 'DPM++ 2M' });
  });

  it('fields that would change the result but are not honoured are said in info; an unknown sampler falls back; a size over the limit is fitted', async () => {
    const res = await call(sd('txt2img'), {
      body: { prompt: 'x', width: 1500, height: 700, steps: 1, sampler_name: 'UniPC', enable_hr: true, hr_scale: 2, restore_faces: true, styles: ['s'], seed: 5 },
    });
    expect(res.status).toBe(200);
    const info = JSON.parse(res.body.info);
    // The hires fix is honoured: the first pass is fitted so that ×2 stays within sd-turbo's 1024.
    expect(await pngSize(res.body.images[0])).toEqual([1024, 480]);
    expect([info.width, info.height]).toEqual([512, 240]); // A1111's info gives the first pass
    expect(info.infotexts[0]).toContain('Hires upscale: 2');
    const notes = (info.backserv.notes as string[]).join('\n');
    for (const word of ['restore_faces', 'styles', 'UniPC', '1500x700', 'hr_scale 2 makes 1024x480']) expect(notes).toContain(word);
    expect(info.sampler_name).toBe('Euler'); // sd-turbo's default

    // Without the hires fix the same size is fitted to 1024 on its long side.
    const plain = await call(sd('txt2img'), { body: { prompt: 'x', width: 1500, height: 700, steps: 1, seed: 5 } });
    expect(await pngSize(plain.body.images[0])).toEqual([1024, 480]);
    expect(JSON.parse(plain.body.info).backserv.notes.join('\n')).toContain('1500x700 was fitted to 1024x480');
  });

  it('an empty prompt makes an unconditional image, as in A1111', async () => {
    const res = await call(sd('txt2img'), { body: { prompt: '', width: 64, height: 64, seed: 1 } });
    expect(res.status).toBe(200);
    expect(await pngSize(res.body.images[0])).toEqual([64, 64]);
    expect(JSON.parse(res.body.info).prompt).toBe('');
  });

  it('extra-single-image upscales through image_upscale; send_images false returns no images', async () => {
    const image = readFileSync(fixtureImage('lowres_bryan.png')).toString('base64');
    const up = await call(sd('extra-single-image'), { body: { image, upscaling_resize: 2, upscaler_1: 'R-ESRGAN 4x+', resize_mode: 0, show_extras_results: true } });
    expect(up.status).toBe(200);
    const [w0, h0] = await pngSize(image);
    expect(await pngSize(up.body.image)).toEqual([w0 * 2, h0 * 2]);
    expect(up.body.html_info).toContain('realesrgan-x4plus');

    const none = await call(sd('txt2img'), { body: { prompt: 'x', width: 64, height: 64, send_images: false } });
    expect(none.body.images).toEqual([]);
    expect(JSON.parse(none.body.info).backserv.ticket_ids).toHaveLength(1);
  });

  it('img2img and inpainting: init_images + denoising_strength (+ mask) give an image of the asked size; bad init images are refused', async () => {
    const init = (await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer()).toString('base64');
    const mask = (await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer()).toString('base64');
    const res = await call(sd('img2img'), { body: { init_images: [init], prompt: 'a red wall', denoising_strength: 0.5, width: 64, height: 64, steps: 2, seed: 3 } });
    expect(res.status).toBe(200);
    expect(res.body.images).toHaveLength(1);
    expect(await pngSize(res.body.images[0])).toEqual([64, 64]);
    expect(res.body.parameters.denoising_strength).toBe(0.5);
    expect(res.body.parameters.init_images).toBeNull(); // not echoed back: it can be megabytes
    const inpaint = await call(sd('img2img'), { body: { init_images: [`data:image/png;base64,${init}`], mask, mask_blur: 2, inpainting_fill: 1, inpaint_full_res: 0, prompt: 'x', width: 64, height: 64, steps: 2 } });
    expect(inpaint.status).toBe(200);
    expect(await pngSize(inpaint.body.images[0])).toEqual([64, 64]);
    const missing = await call(sd('img2img'), { body: { prompt: 'x' } });
    expect(missing.status).toBe(422);
    const notImage = await call(sd('img2img'), { body: { init_images: ['AAAA'], prompt: 'x' } });
    expect(notImage.status).toBeGreaterThanOrEqual(400);
    expect(notImage.status).toBeLessThan(500);
  });

  it('progress shows the running call\'s live preview as current_image (base64 PNG)', async () => {
    const pending = call(sd('txt2img'), { body: { prompt: 'a slow one', width: 256, height: 256, steps: 60, seed: 5 } });
    let preview: string | null = null;
    for (let i = 0; i < 600 && preview === null; i++) {
      const p = await call(sd('progress'));
      preview = p.body.current_image;
      if (preview === null && p.body.state.job_count === 0 && i > 20) break; // the call ended
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await pending).status).toBe(200);
    expect(preview).not.toBeNull();
    expect(Buffer.from(preview!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('bad input: 422 with FastAPI\'s detail; wrong method 405 — all in A1111\'s shape', async () => {
    const bad = await call(sd('txt2img'), { body: { prompt: 'x', steps: 'many' } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: 'invalid_request', detail: [{ loc: ['body', 'steps'], type: 'value_error' }] });
    const big = await call(sd('txt2img'), { body: { prompt: 'x', batch_size: 10, n_iter: 10 } });
    expect(big.status).toBe(422);
    const get = await call(sd('txt2img'));
    expect(get.status).toBe(405);
    expect(get.body.detail).toContain('POST');
    const unknownCheckpoint = await call(sd('options'), { body: { sd_model_checkpoint: 'nope.safetensors' } });
    expect(unknownCheckpoint.status).toBe(400);
    expect(unknownCheckpoint.body.detail).toContain('nope');
    const notJson = await fetch(sd('txt2img'), { method: 'POST', body: 'prompt=x', headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    expect(await notJson.json()).toMatchObject({ error: 'unsupported_media_type', detail: expect.any(String) });
  });
});

describe('rembg extension route', () => {
  it('POST /rembg and /sdapi/v1/rembg cut out the background; return_mask answers the matte; bad body 422', async () => {
    const input_image = readFileSync(fixtureImage('lowres_bryan.png')).toString('base64');
    const [w0, h0] = await pngSize(input_image);
    for (const url of [`${svc.url}/rembg`, sd('rembg')]) {
      const res = await call(url, { body: { input_image, model: 'u2net', return_mask: false, alpha_matting: true, alpha_matting_erode_size: 10 } });
      expect(res.status, url).toBe(200);
      const meta = await sharp(Buffer.from(res.body.image, 'base64')).metadata();
      expect(meta, url).toMatchObject({ width: w0, height: h0, channels: 4, hasAlpha: true });
      expect(res.body.info, url).toMatch(/u2net.*not installed.*alpha_matting/s);
    }
    const mask = await call(`${svc.url}/rembg`, { body: { input_image: `data:image/png;base64,${input_image}`, return_mask: true } });
    expect(mask.status).toBe(200);
    expect(await sharp(Buffer.from(mask.body.image, 'base64')).metadata()).toMatchObject({ width: w0, height: h0, channels: 1 });
    const bad = await call(`${svc.url}/rembg`, { body: { return_mask: true } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: 'invalid_request', detail: [{ loc: ['body', 'input_image'] }] });
  });
});
