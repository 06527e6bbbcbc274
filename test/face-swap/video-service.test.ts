/**
 * face_swap with target_video through the real service (HTTP, SQLite, a worker thread, real
 * ffmpeg) on the offline models (bundled YuNet + FaceMesh): a Completed MP4 served as video/mp4,
 * a large data: URI (kept in the input store) as the video, 400s at submit for what is knowable
 * there, a Failed task whose error_info says what to change, and a cancel mid-video that leaves
 * no file and a worker that serves the next task.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeInputVideo } from '../../src/video/probe-input.js';
import { fixtureImage, getJson, postJson, startFileServer, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { ffmpegChildren } from '../video-creation/support.js';
import { ffmpegPath, makeClip, makePatternClip, offlineModelsDir } from './video-support.js';

let svc: TestService;
let files: Awaited<ReturnType<typeof startFileServer>>;
const served = mkdtempSync(join(tmpdir(), 'backserv-video-served-'));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

beforeAll(async () => {
  copyFileSync(fixtureImage('portrait_astronaut.jpg'), join(served, 'portrait.jpg'));
  copyFileSync(makeClip({ frames: 16, fps: 8 }), join(served, 'short.mp4'));
  copyFileSync(makeClip({ frames: 150, fps: 10 }), join(served, 'long.mp4'));
  copyFileSync(makePatternClip(16, 16, 60, 1801), join(served, 'too-many-frames.mp4'));
  svc = await startTestService({ BACKSERV_MODELS_DIR: offlineModelsDir() });
  files = await startFileServer(served);
});
afterAll(async () => {
  await svc?.close();
  await files?.close();
});

const resultsOf = () => join(svc.dataDir, 'results');

describe('face_swap target_video through the service', () => {
  it('URL in: Completed, an MP4 served as video/mp4 with the input\'s frame count and audio, progress per frame', async () => {
    const { status, body } = await submit(svc.url, 'face_swap', { source_image: `${files.url}/portrait.jpg`, target_video: `${files.url}/short.mp4` });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string, undefined, 60_000);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ content_type: 'video/mp4', frames: 16, fps: 8, engine: 'mesh', audio: 'copied' });
    expect(done.progress).toMatchObject({ step: 16, total: 16, percent: 100 });
    const res = await fetch(done.result_info as string);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const local = join(mkdtempSync(join(tmpdir(), 'backserv-dl-')), 'out.mp4');
    writeFileSync(local, Buffer.from(await res.arrayBuffer()));
    expect(await probeInputVideo(ffmpegPath, local, 'out')).toMatchObject({ frames: 16, codec: 'h264', audioCodec: 'aac' });
  });

  it('a data: URI over 64 KiB (kept in the input store) as target_video: Completed', async () => {
    const clip = makeClip({ frames: 40, fps: 10, shift: 6 });
    const uri = `data:video/mp4;base64,${readFileSync(clip).toString('base64')}`;
    expect(uri.length).toBeGreaterThan(64 * 1024);
    const { status, body } = await submit(svc.url, 'face_swap', { source_image: `${files.url}/portrait.jpg`, target_video: uri });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string, undefined, 60_000);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ content_type: 'video/mp4', frames: 40 });
  });

  it('400 at submit, nothing queued: not a video, an image media type, both targets, reference_image with a video, face_enhance without an enhancer', async () => {
    const png = readFileSync(fixtureImage('lowres_bryan.png')).toString('base64');
    const src = `${files.url}/portrait.jpg`;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ source_image: src, target_video: `data:video/mp4;base64,${png}` }, 'invalid_video', /task_params\.target_video: is not an MP4, MOV, WebM or GIF video/],
      [{ source_image: src, target_video: `data:image/png;base64,${png}` }, 'invalid_video', /task_params\.target_video: .*only video\/\* \(or image\/gif\) is accepted/],
      [{ source_image: src, target_video: 'ftp://example.com/v.mp4' }, 'invalid_request', /target_video/],
      [{ source_image: src, target_image: src, target_video: `${files.url}/short.mp4` }, 'invalid_request', /give either target_image or target_video/],
      [{ source_image: src }, 'invalid_request', /give either target_image or target_video/],
      [{ source_image: src, target_video: `${files.url}/short.mp4`, reference_image: src }, 'invalid_request', /reference_image goes with target_image only/],
      // face_enhance goes with a video too, but needs an enhancer installed (this offline install has none).
      [{ source_image: src, target_video: `${files.url}/short.mp4`, face_enhance: true }, 'invalid_request',
        /^task_params\.face_enhance: a face enhancer is not installed on this server\. Install one with: npx backserv models download gfpgan-1\.4$/],
    ];
    for (const [params, code, message] of cases) {
      const { status, body } = await submit(svc.url, 'face_swap', params);
      expect(status).toBe(400);
      expect(body.error).toBe(code);
      expect(body.message).toMatch(message);
    }
  });

  it('over the frame limit: Failed with invalid_video saying what to change, and the worker keeps serving', async () => {
    const { body } = await submit(svc.url, 'face_swap', { source_image: `${files.url}/portrait.jpg`, target_video: `${files.url}/too-many-frames.mp4` });
    const done = await waitFor(svc.url, body.ticket_id as string, undefined, 60_000);
    expect(done.status).toBe('Failed');
    expect(done.error_code).toBe('invalid_video');
    expect(done.error_info).toMatch(/target_video: has 1801 frames, over the limit of 1800; trim it or lower its frame rate/);
  });

  it('cancel mid-video: Cancelled, both ffmpegs gone, no file, and the worker serves the next task', async () => {
    const { body } = await submit(svc.url, 'face_swap', { source_image: `${files.url}/portrait.jpg`, target_video: `${files.url}/long.mp4` });
    const ticket = body.ticket_id as string;
    const running = await waitFor(svc.url, ticket, (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 3, 60_000);
    expect((running.progress as { step: number; total: number }).total).toBe(150);
    expect((running.progress as { step: number }).step).toBeLessThan(150);
    expect(ffmpegChildren().length).toBe(2); // the decoder and the encoder
    expect((await postJson(`${svc.url}/cancel_task/${ticket}`, {})).status).toBe(200);
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
    expect(await until(() => ffmpegChildren().length === 0, 10_000)).toBe(true);
    expect(await until(() => !readdirSync(resultsOf()).some((f) => f.includes(ticket)), 10_000)).toBe(true);
    const next = await waitFor(svc.url, (await submit(svc.url, 'face_swap', { source_image: `${files.url}/portrait.jpg`, target_video: `${files.url}/short.mp4` })).body.ticket_id as string, undefined, 60_000);
    expect(next.status).toBe('Completed');
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
  });
});
