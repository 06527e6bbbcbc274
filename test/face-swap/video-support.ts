/**
 * Shared by the video face-swap tests: test clips made at test time with real ffmpeg from the
 * fixture portrait (small random per-frame shifts, a sine audio track), the offline models
 * folder (bundled YuNet + FaceMesh) and a pipeline context that loads the clip's bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { locateFfmpeg } from '../../src/video/locate-ffmpeg.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import { fixtureImage } from '../helpers/http.js';
import { pipelineContext } from './support.js';

export const ffmpegPath = locateFfmpeg().path;

export interface ClipOptions {
  frames?: number;
  fps?: number;
  /** Output side (square), before the crop that shifts the face. */
  side?: number;
  /** Peak shift in pixels each way, per frame, drawn by ffmpeg's random(). */
  shift?: number;
  audio?: boolean;
  /** Grey columns added on the right (frames are side+padRight wide): an area far from the face. */
  padRight?: number;
  /** Container/codecs: 'mp4' (H.264 + AAC), 'webm' (VP8 + Vorbis), 'gif'. */
  format?: 'mp4' | 'webm' | 'gif';
}

function ffmpeg(args: string[]): void {
  const r = spawnSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/** The fixture portrait as a short clip whose frames shift by a few random pixels each. */
export function makeClip(o: ClipOptions = {}): string {
  const frames = o.frames ?? 20, fps = o.fps ?? 10, side = o.side ?? 256, shift = o.shift ?? 3;
  const format = o.format ?? 'mp4';
  const out = join(mkdtempSync(join(tmpdir(), 'backserv-clip-')), `clip.${format}`);
  const margin = shift + 1;
  const duration = frames / fps;
  const vf = `scale=${side + 2 * margin}:${side + 2 * margin},crop=${side}:${side}:${margin}+${2 * shift}*(random(0)-0.5):${margin}+${2 * shift}*(random(1)-0.5)${o.padRight ? `,pad=${side + o.padRight}:${side}:0:0:gray` : ''}`;
  const audio = o.audio ?? format !== 'gif';
  ffmpeg([
    '-loop', '1', '-framerate', String(fps), '-i', fixtureImage('portrait_astronaut.jpg'),
    ...(audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${duration}`] : []),
    '-vf', vf, '-frames:v', String(frames),
    ...(format === 'mp4' ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...(audio ? ['-c:a', 'aac'] : [])] : []),
    ...(format === 'webm' ? ['-c:v', 'libvpx', '-b:v', '500k', ...(audio ? ['-c:a', 'libvorbis'] : [])] : []),
    out,
  ]);
  return out;
}

/** A plain tiny clip (a test pattern), for the bounds: `frames` frames of w×h at `fps`. */
export function makePatternClip(width: number, height: number, fps: number, frames: number): string {
  const out = join(mkdtempSync(join(tmpdir(), 'backserv-clip-')), 'pattern.mp4');
  ffmpeg(['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out]);
  return out;
}

/** A models folder with only what an offline install has: FaceMesh (YuNet is bundled). */
export function offlineModelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-offline-models-'));
  symlinkSync(join(inject('testModelsDir'), 'facemesh'), join(dir, 'facemesh'), 'dir');
  return dir;
}

/** A pipeline context whose target_video is a local file path and whose images are fixture names. */
export function videoSwapContext(over: Partial<PipelineContext> = {}): PipelineContext {
  return pipelineContext(offlineModelsDir(), { loadVideoBytes: (ref) => Promise.resolve(readFileSync(ref)), ...over });
}
