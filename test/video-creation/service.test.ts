/**
 * video_creation through the real service (HTTP, SQLite, worker threads, real ffmpeg) on the
 * sd-turbo test model: a completed MP4 served as video/mp4 with byte ranges, a cancel that
 * kills ffmpeg and leaves no file, and a failing ffmpeg reported in error_info.
 */
import { readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFMPEG_ENV } from '../../src/video/locate-ffmpeg.js';
import { decodeRgbFrames, probeVideo } from '../../src/video/probe.js';
import { getJson, postJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { FAILING_FFMPEG, fakeFfmpeg, ffmpegChildren, ffmpegPath, topLevelBoxes } from './support.js';

const resultsOf = (svc: TestService) => join(svc.dataDir, 'results');

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('video_creation through the service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('/ready lists video_creation as available', async () => {
    const types = (await getJson(`${svc.url}/ready`)).body.task_types as Record<string, { available: boolean }>;
    expect(types.video_creation.available).toBe(true);
  });

  it('completes: an H.264 MP4 served as video/mp4, with byte ranges (206) for players that seek', async () => {
    const { status, body } = await submit(svc.url, 'video_creation', { prompt: 'a paper boat on a river', duration: 2, fps: 6, width: 96, height: 64, seed: 9 });
    expect(status).toBe(202);
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(done.result).toMatchObject({ content_type: 'video/mp4', width: 96, height: 64, frames: 12, fps: 6, duration: 2, seed: 9, model: 'sd-turbo' });
    expect(done.progress).toMatchObject({ step: 12, total: 12, percent: 100 });

    const url = done.result_info as string;
    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const bytes = Buffer.from(await whole.arrayBuffer());
    const boxes = topLevelBoxes(bytes);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat')); // faststart: playable while downloading

    const head = await fetch(url, { headers: { Range: 'bytes=0-99' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-type')).toBe('video/mp4');
    expect(head.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(Buffer.from(await head.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);
    const tail = await fetch(url, { headers: { Range: 'bytes=-64' } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 64))).toBe(true);

    const local = join(mkdtempSync(join(tmpdir(), 'backserv-dl-')), 'v.mp4');
    writeFileSync(local, bytes);
    expect(await probeVideo(ffmpegPath, local)).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: 96, height: 64, fps: 6 });
    expect((await decodeRgbFrames(ffmpegPath, local, 96, 64)).length).toBe(12);
  });

  it('cancel mid-video: Cancelled, ffmpeg killed, no file (not even a temp file), worker free', async () => {
    const { body } = await submit(svc.url, 'video_creation', { prompt: 'slow', duration: 10, fps: 12, width: 256, height: 256, seed: 1 });
    const ticket = body.ticket_id as string;
    const running = await waitFor(svc.url, ticket, (b) => b.status === 'In Progress' && ((b.progress as { step?: number } | null)?.step ?? 0) >= 3, 60_000);
    expect((running.progress as { step: number }).step).toBeLessThan(120);
    expect(ffmpegChildren().length).toBe(1);
    expect((await postJson(`${svc.url}/cancel_task/${ticket}`, {})).status).toBe(200);
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
    expect(await until(() => ffmpegChildren().length === 0, 10_000)).toBe(true);
    expect(await until(() => !readdirSync(resultsOf(svc)).some((f) => f.includes(ticket)), 10_000)).toBe(true);
    // One worker: the next task finishes only once the cancelled one has let go of it.
    const next = await waitFor(svc.url, (await submit(svc.url, 'video_creation', { prompt: 'next', duration: 1, fps: 2, width: 64, height: 64, seed: 2 })).body.ticket_id as string, undefined, 30_000);
    expect(next.status).toBe('Completed');
    expect((await getJson(`${svc.url}/query_task/${ticket}`)).body.status).toBe('Cancelled');
  });
});

describe('video_creation with a failing ffmpeg', () => {
  let svc: TestService;
  beforeAll(async () => {
    // Worker threads copy the environment when they start: set it before the service does.
    process.env[FFMPEG_ENV] = fakeFfmpeg(FAILING_FFMPEG);
    svc = await startTestService();
  });
  afterAll(async () => {
    delete process.env[FFMPEG_ENV];
    await svc?.close();
  });

  it('Failed, with ffmpeg\'s own stderr in error_info, and the worker keeps serving', async () => {
    const { body } = await submit(svc.url, 'video_creation', { prompt: 'x', duration: 1, fps: 4, width: 64, height: 64, seed: 1 });
    const done = await waitFor(svc.url, body.ticket_id as string);
    expect(done.status).toBe('Failed');
    expect(done.error_info).toMatch(/Video encoding failed: .*exited with code 1/);
    expect(done.error_info).toMatch(/Unknown encoder 'libx264' \(fake ffmpeg for tests\)/);
    expect(readdirSync(resultsOf(svc))).toEqual([]);
    const img = await waitFor(svc.url, (await submit(svc.url, 'image_creation', { prompt: 'y', width: 64, height: 64, seed: 1 })).body.ticket_id as string);
    expect(img.status).toBe('Completed');
  });
});
