/** The small pure parts of video face swap: container sniffing, ffmpeg's input description, face tracks. */
import { describe, expect, it } from 'vitest';
import { FaceTracks, iou } from '../../src/pipelines/face-swap/video/face-tracks.js';
import { SMOOTHING } from '../../src/pipelines/face-swap/video/limits.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import { TaskError } from '../../src/tasks/task-errors.js';
import { parseInputInfo } from '../../src/video/probe-input.js';
import { sniffVideoContainer } from '../../src/video/sniff-video.js';

const bytes = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

describe('sniffVideoContainer', () => {
  it('tells MP4, MOV, WebM and GIF apart by their first bytes, and refuses images and text', () => {
    expect(sniffVideoContainer(bytes([0, 0, 0, 0x20], 'ftypisom'))).toBe('mp4');
    expect(sniffVideoContainer(bytes([0, 0, 0, 0x14], 'ftypqt  '))).toBe('mov');
    expect(sniffVideoContainer(bytes([0, 0, 0, 8], 'wide'))).toBe('mov');
    expect(sniffVideoContainer(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toBe('webm');
    expect(sniffVideoContainer(bytes('GIF89a', [1, 0]))).toBe('gif');
    expect(sniffVideoContainer(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]))).toBeNull();
    expect(sniffVideoContainer(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBeNull();
    expect(sniffVideoContainer(bytes('hello world!'))).toBeNull();
    expect(sniffVideoContainer(bytes([0, 0]))).toBeNull();
  });
});

describe('parseInputInfo (ffmpeg 4.x text)', () => {
  const mp4 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'target_video':
  Duration: 00:00:02.00, start: 0.000000, bitrate: 186 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 256x256, 82 kb/s, 29.97 fps, 29.97 tbr, 10240 tbn, 20 tbc (default)
    Metadata:
      rotate          : 90
    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
Output #0, null, to 'pipe:':
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 256x256, q=2-31, 82 kb/s, 29.97 fps
frame=   10 fps=0.0 q=-1.0 size=N/A time=00:00:00.30
frame=   60 fps=0.0 q=-1.0 Lsize=N/A time=00:00:01.97 bitrate=N/A speed=2.39e+04x`;

  it('reads size (turned by the rotation), frame rate, the last frame count, duration and the audio codec', () => {
    expect(parseInputInfo(mp4.replace('256x256, 82', '320x240, 82'), 'target_video')).toEqual({
      width: 240, height: 320, fps: 29.97, frames: 60, durationS: 2, codec: 'h264', audioCodec: 'aac',
    });
  });

  it('a GIF without audio: tbr when no fps, no audio codec, duration from frames when N/A', () => {
    const gif = `Input #0, gif, from 'target_video':
  Duration: N/A, bitrate: N/A
    Stream #0:0: Video: gif, bgra, 64x48, 10 tbr, 100 tbn, 100 tbc
frame=   25 fps=0.0 q=-1.0 Lsize=N/A`;
    expect(parseInputInfo(gif, 'target_video')).toEqual({ width: 64, height: 48, fps: 10, frames: 25, durationS: 2.5, codec: 'gif', audioCodec: null });
  });

  it('not a video, no video stream, no frames: invalid_video naming the field', () => {
    const cases: [string, RegExp][] = [
      ['target_video: Invalid data found when processing input', /^target_video: ffmpeg could not read it as a video \(target_video: Invalid data found when processing input\)/],
      ["Input #0, mp3, from 'target_video':\n  Duration: 00:00:01.00\n    Stream #0:0: Audio: mp3, 44100 Hz, mono", /^target_video: has no video stream/],
      ["Input #0, mov,mp4, from 'x':\n  Duration: 00:00:01.00\n    Stream #0:0(und): Video: h264 (High), yuv420p, 64x64, 25 fps, 25 tbr", /^target_video: has no video frames/],
    ];
    for (const [text, message] of cases) {
      const err = (() => { try { parseInputInfo(text, 'target_video'); return null; } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).code).toBe('invalid_video');
      expect((err as TaskError).message).toMatch(message);
    }
  });
});

describe('FaceTracks', () => {
  const face = (x: number, y: number, s = 100): Face => ({
    box: [x, y, x + s, y + s], score: 0.9,
    landmarks: [[x + 30, y + 40], [x + 70, y + 40], [x + 50, y + 60], [x + 35, y + 80], [x + 65, y + 80]],
  });

  it('iou: 1 for the same box, 0 apart, in between for an overlap', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 10);
  });

  it('keeps each face on its own track as they move a little, in any order; a new face gets a new track', () => {
    const tracks = new FaceTracks(SMOOTHING);
    const [a, b] = tracks.assign([face(0, 0), face(300, 0)]);
    expect(a.id).not.toBe(b.id);
    const next = tracks.assign([face(305, 3), face(4, 2)]);
    expect(next.map((t) => t.id)).toEqual([b.id, a.id]);
    const third = tracks.assign([face(2, 1), face(600, 0)]);
    expect(third[0].id).toBe(a.id);
    expect([a.id, b.id]).not.toContain(third[1].id);
  });

  it('drops a track unseen for more than 5 frames: the face then starts a fresh one', () => {
    const tracks = new FaceTracks(SMOOTHING);
    const [first] = tracks.assign([face(0, 0)]);
    for (let i = 0; i < 6; i++) tracks.assign([]);
    expect(tracks.assign([face(0, 0)])[0].id).not.toBe(first.id);
  });

  it('smooths a jittering face toward its steady position; without smoothing it passes through', () => {
    const smooth = new FaceTracks(SMOOTHING), raw = new FaceTracks(null);
    let movedSmooth = 0, movedRaw = 0, prevS = 0, prevR = 0;
    for (let i = 0; i < 30; i++) {
      const f = face(i % 2 === 0 ? 0 : 4, 0);
      const s = smooth.assign([f])[0].smoothFace(f, i / 25);
      const r = raw.assign([f])[0].smoothFace(f, i / 25);
      expect(r).toBe(f);
      if (i > 0) { movedSmooth += Math.abs(s.box[0] - prevS); movedRaw += Math.abs(r.box[0] - prevR); }
      prevS = s.box[0]; prevR = r.box[0];
    }
    expect(movedSmooth).toBeLessThan(0.5 * movedRaw);
  });
});
