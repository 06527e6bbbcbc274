/**
 * The streaming encoder against the real ffmpeg: what it writes (H.264, yuv420p, exact frame
 * count and duration, faststart, even size, the pixels), and every way ffmpeg can fail:
 * a bad exit before or during the stream, a broken pipe, a hang, bad encoder options, and a
 * missing binary. Failures carry ffmpeg's stderr and leave neither a file nor a process.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegError } from '../../src/video/ffmpeg-error.js';
import { locateFfmpeg } from '../../src/video/locate-ffmpeg.js';
import { encoderArgs, Mp4Encoder } from '../../src/video/mp4-encoder.js';
import { decodeRgbFrames, parseFfmpegInfo, probeVideo } from '../../src/video/probe.js';
import { alive, FAILING_FFMPEG, fakeFfmpeg, ffmpegChildren, ffmpegPath, mad, topLevelBoxes } from './support.js';

function outDir(): string {
  return mkdtempSync(join(tmpdir(), 'backserv-enc-'));
}

/** A moving gradient: frame i is shifted i pixels to the right. */
function gradientFrame(w: number, h: number, i: number): Uint8Array {
  const f = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      f[o] = ((x + i) * 4) & 255;
      f[o + 1] = (y * 4) & 255;
      f[o + 2] = 128;
    }
  }
  return f;
}

async function expectFailure(p: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<string> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FfmpegError);
  const message = (err as FfmpegError).message;
  for (const f of fragments) expect(message).toMatch(f);
  return message;
}

describe('Mp4Encoder with the real ffmpeg', () => {
  it('writes H.264 yuv420p MP4 with every frame, the exact duration, moov before mdat', async () => {
    const dir = outDir();
    const out = join(dir, 'clip.mp4');
    const [w, h, fps, n] = [96, 64, 8, 24];
    const enc = new Mp4Encoder({ ffmpegPath, width: w, height: h, fps, outFile: out });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      sent.push(gradientFrame(w, h, i));
      await enc.write(sent[i]);
    }
    const stats = await enc.finish();
    expect(stats).toMatchObject({ frames: n, width: w, height: h });
    expect(stats.bytes).toBe(readFileSync(out).length);
    expect(readdirSync(dir)).toEqual(['clip.mp4']); // the temp file was renamed, nothing else left

    const probe = await probeVideo(ffmpegPath, out);
    expect(probe).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: w, height: h, fps });
    expect(probe.container).toMatch(/mp4/);
    expect(Math.abs(probe.durationS - n / fps)).toBeLessThan(1 / fps);
    const boxes = topLevelBoxes(readFileSync(out));
    expect(boxes.indexOf('moov')).toBeGreaterThanOrEqual(0);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

    const decoded = await decodeRgbFrames(ffmpegPath, out, w, h);
    expect(decoded.length).toBe(n);
    // Lossy, 4:2:0, but each decoded frame is closest to the frame sent at its position.
    for (let i = 0; i < n; i++) {
      const own = mad(decoded[i], sent[i]);
      expect(own).toBeLessThan(6);
      if (i > 0) expect(own).toBeLessThan(mad(decoded[i], sent[i - 1]));
    }
  });

  it('crops odd sizes to the even size 4:2:0 needs', async () => {
    const out = join(outDir(), 'odd.mp4');
    const enc = new Mp4Encoder({ ffmpegPath, width: 67, height: 49, fps: 5, outFile: out });
    for (let i = 0; i < 5; i++) await enc.write(gradientFrame(67, 49, i));
    expect(await enc.finish()).toMatchObject({ width: 66, height: 48 });
    expect(await probeVideo(ffmpegPath, out)).toMatchObject({ width: 66, height: 48, pixFmt: 'yuv420p' });
    expect(encoderArgs({ ffmpegPath, width: 67, height: 49, fps: 5, outFile: out }, 'tmp')).toEqual(expect.arrayContaining(['-vf', 'crop=66:48:0:0']));
    expect(encoderArgs({ ffmpegPath, width: 64, height: 48, fps: 5, outFile: out }, 'tmp')).not.toContain('-vf');
  });

  it('waits for ffmpeg (backpressure) instead of buffering: a frame larger than the pipe is taken whole before write resolves', async () => {
    const out = join(outDir(), 'big.mp4');
    const [w, h] = [768, 768]; // 1.7 MiB a frame, far over the socket's buffers
    const enc = new Mp4Encoder({ ffmpegPath, width: w, height: h, fps: 8, outFile: out, preset: 'ultrafast' });
    for (let i = 0; i < 6; i++) {
      await enc.write(gradientFrame(w, h, i));
      expect(enc['stdin'].writableLength).toBe(0); // nothing queued in Node once write() resolved
    }
    const stats = await enc.finish();
    expect(stats.waitMs).toBeGreaterThan(0);
    expect((await decodeRgbFrames(ffmpegPath, out, w, h)).length).toBe(6);
  });

  it('abort kills ffmpeg and deletes the partial file', async () => {
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath, width: 64, height: 64, fps: 8, outFile: join(dir, 'gone.mp4') });
    for (let i = 0; i < 4; i++) await enc.write(gradientFrame(64, 64, i));
    expect(ffmpegChildren()).toContain(enc.pid);
    await enc.abort();
    expect(alive(enc.pid)).toBe(false);
    expect(ffmpegChildren()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    await enc.abort(); // twice is harmless
    await expect(enc.write(gradientFrame(64, 64, 0))).rejects.toThrow(/after finish\(\) or abort\(\)/);
  });

  it('a write rejects when the signal aborts while waiting for ffmpeg', async () => {
    // A fake ffmpeg that never reads: a frame larger than the socket's buffers cannot drain.
    const hang = fakeFfmpeg('exec sleep 30');
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath: hang, width: 768, height: 768, fps: 8, outFile: join(dir, 'x.mp4') });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    await expect(enc.write(gradientFrame(768, 768, 0), ac.signal)).rejects.toThrow(/abort/i);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(alive(enc.pid)).toBe(true);
    await enc.abort();
    expect(alive(enc.pid)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('Mp4Encoder failures', () => {
  it('ffmpeg exiting 1 at once: the error carries its stderr and the exit code; no file, no process', async () => {
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath: fakeFfmpeg(FAILING_FFMPEG), width: 64, height: 64, fps: 8, outFile: join(dir, 'v.mp4') });
    const t0 = Date.now();
    const writes = (async () => {
      for (let i = 0; i < 50; i++) await enc.write(gradientFrame(64, 64, i));
      return enc.finish();
    })();
    await expectFailure(writes, /Unknown encoder 'libx264' \(fake ffmpeg for tests\)/, /exited with code 1/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(ffmpegChildren()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ffmpeg dying mid-stream (broken pipe): the error says so, with its last stderr lines', async () => {
    // Reads about two 64×64 frames, complains, exits 3.
    const script = fakeFfmpeg('head -c 24576 > /dev/null; echo "frame 2: corrupt input (fake)" >&2; exit 3');
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath: script, width: 64, height: 64, fps: 8, outFile: join(dir, 'v.mp4') });
    const writes = (async () => {
      for (let i = 0; i < 200; i++) await enc.write(gradientFrame(64, 64, i));
      return enc.finish();
    })();
    const msg = await expectFailure(writes, /corrupt input \(fake\)/, /code 3/);
    expect(msg).toMatch(/pipe|closed its input|before the last frame/);
    expect(enc.framesWritten).toBeLessThan(200);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('ffmpeg exiting non-zero after all input was sent fails finish(), and nothing is published', async () => {
    const script = fakeFfmpeg('cat > /dev/null; echo "muxer: could not write trailer (fake)" >&2; exit 1');
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath: script, width: 64, height: 64, fps: 8, outFile: join(dir, 'v.mp4') });
    for (let i = 0; i < 4; i++) await enc.write(gradientFrame(64, 64, i));
    await expectFailure(enc.finish(), /could not write trailer/, /exited with code 1/);
    expect(existsSync(join(dir, 'v.mp4'))).toBe(false);
  });

  it('invalid encoder options on the real ffmpeg: libx264 says what is wrong', async () => {
    const dir = outDir();
    const enc = new Mp4Encoder({ ffmpegPath, width: 64, height: 64, fps: 8, outFile: join(dir, 'v.mp4'), preset: 'no-such-preset' });
    const writes = (async () => {
      for (let i = 0; i < 50; i++) await enc.write(gradientFrame(64, 64, i));
      return enc.finish();
    })();
    await expectFailure(writes, /preset/i);
    expect(ffmpegChildren()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a hung ffmpeg (never reads) fails after the stall timeout instead of blocking forever', async () => {
    const script = fakeFfmpeg('echo "waiting for nothing (fake)" >&2; exec sleep 30');
    const enc = new Mp4Encoder({ ffmpegPath: script, width: 768, height: 768, fps: 8, outFile: join(outDir(), 'v.mp4'), stallTimeoutMs: 300 });
    const t0 = Date.now();
    await expectFailure(enc.write(gradientFrame(768, 768, 0)), /took no frame for 300 ms/, /waiting for nothing/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(alive(enc.pid)).toBe(false);
  });

  it('an ffmpeg that does not exit after the last frame is killed after the finish timeout', async () => {
    const script = fakeFfmpeg('cat > /dev/null; exec sleep 30');
    const enc = new Mp4Encoder({ ffmpegPath: script, width: 64, height: 64, fps: 8, outFile: join(outDir(), 'v.mp4'), finishTimeoutMs: 300 });
    await enc.write(gradientFrame(64, 64, 0));
    const t0 = Date.now();
    expect(alive(enc.pid)).toBe(true);
    await expectFailure(enc.finish(), /did not finish within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(alive(enc.pid)).toBe(false);
  });

  it('a missing binary fails with the spawn error', async () => {
    const enc = new Mp4Encoder({ ffmpegPath: '/nonexistent/ffmpeg', width: 64, height: 64, fps: 8, outFile: join(outDir(), 'v.mp4') });
    const writes = (async () => {
      for (let i = 0; i < 50; i++) await enc.write(gradientFrame(64, 64, i));
      return enc.finish();
    })();
    await expectFailure(writes, /could not start \/nonexistent\/ffmpeg/, /ENOENT/);
  });

  it('wrong frame sizes are refused before reaching ffmpeg', async () => {
    const enc = new Mp4Encoder({ ffmpegPath, width: 64, height: 64, fps: 8, outFile: join(outDir(), 'v.mp4') });
    await expect(enc.write(new Uint8Array(10))).rejects.toThrow(RangeError);
    await enc.abort();
    expect(() => new Mp4Encoder({ ffmpegPath, width: 1, height: 64, fps: 8, outFile: 'x.mp4' })).toThrow(RangeError);
  });
});

describe('locating ffmpeg', () => {
  it('prefers an explicit path, then the PATH, then the npm package', () => {
    const fake = fakeFfmpeg('exit 0');
    const fakeDir = join(fake, '..');
    expect(locateFfmpeg({ configured: fake })).toEqual({ path: fake, source: 'configured' });
    expect(locateFfmpeg({ pathEnv: `/nonexistent:${fakeDir}`, npmPath: () => ffmpegPath })).toEqual({ path: fake, source: 'system' });
    expect(locateFfmpeg({ pathEnv: '/nonexistent', npmPath: () => ffmpegPath })).toEqual({ path: ffmpegPath, source: 'npm' });
  });

  it('says clearly when there is none, or when the configured one is not executable', () => {
    expect(() => locateFfmpeg({ pathEnv: '/nonexistent', npmPath: () => undefined })).toThrow(/No ffmpeg found.*apt-get install ffmpeg.*BACKSERV_FFMPEG/s);
    const plain = join(outDir(), 'not-a-program');
    writeFileSync(plain, 'text', { mode: 0o644 });
    expect(() => locateFfmpeg({ configured: plain })).toThrow(/BACKSERV_FFMPEG=.*not-a-program is not an executable file/);
    try {
      locateFfmpeg({ pathEnv: '', npmPath: () => undefined });
    } catch (err) {
      expect((err as FfmpegError).code).toBe('ffmpeg_unavailable');
    }
  });

  it('parses what ffmpeg 4 and 5 print about an input', () => {
    const v5 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':\n  Duration: 00:00:02.00, start: 0.000000, bitrate: 8 kb/s\n  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, smpte170m, progressive), 512x512, 4 kb/s, 8 fps, 8 tbr, 16384 tbn (default)`;
    expect(parseFfmpegInfo(v5)).toEqual({ container: 'mov,mp4,m4a,3gp,3g2,mj2', codec: 'h264', pixFmt: 'yuv420p', width: 512, height: 512, fps: 8, durationS: 2 });
    expect(() => parseFfmpegInfo('garbage')).toThrow(/could not parse/);
  });
});
