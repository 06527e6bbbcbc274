/**
 * Face swap on one video frame after another: detect, choose the target faces (per frame, left
 * to right), follow each from frame to frame (FaceTracks) and smooth its detection and its
 * FaceMesh points with One Euro filters before the swap, so the pasted face does not jitter.
 * The mesh engine's pose guard skips a face turned too far from the source in that frame (it is
 * left as filmed) instead of failing the whole video.
 */
import type { DecodedImage } from '../../../imaging/decoded-image.js';
import type { Kernels } from '../../../native/types.js';
import type { Session } from '../../../runtime/index.js';
import { detectFaces, type Detector } from '../detect.js';
import type { InswapperEngine } from '../engines.js';
import { faceMesh } from '../landmarks.js';
import type { FaceMaskSpec } from '../mask.js';
import { meshSwapFace } from '../mesh-swap.js';
import type { TargetFaces } from '../params.js';
import { MAX_YAW_DIFFERENCE, yawDegrees } from '../pose.js';
import { largestFace } from '../select.js';
import type { Face } from '../types.js';
import { FaceTracks } from './face-tracks.js';
import type { OneEuroOptions } from './one-euro.js';

export interface MeshSource {
  session: Session;
  image: DecodedImage;
  points: Float32Array;
  mask: Exclude<FaceMaskSpec, { kind: 'box' }>;
  maskBlur: number;
}

export type FrameEngine = { kind: 'mesh'; mesh: MeshSource } | { kind: 'inswapper'; engine: InswapperEngine };

export interface FrameSwapOptions {
  detector: Detector;
  kernels: Kernels;
  engine: FrameEngine;
  /** Which faces of each frame: all, the largest, or indices (left to right in that frame). */
  targets: TargetFaces;
  /** One Euro settings, or null for no smoothing. */
  smoothing: OneEuroOptions | null;
  /** Sees the landmarks each swap used (after smoothing): FaceMesh points with the mesh engine, the five detector points with inswapper. */
  observe?(frame: number, track: number, points: Float32Array): void;
}

export interface FrameSwapStats {
  faces: number;
  /** Faces left as filmed because they were turned too far from the source (mesh engine). */
  skippedPose: number;
}

function chooseFaces(faces: Face[], which: TargetFaces): Face[] {
  if (faces.length === 0) return [];
  if (which === 'all') return faces;
  if (which === 'largest') return [largestFace(faces)];
  return which.filter((i) => i < faces.length).map((i) => faces[i]);
}

export class VideoFrameSwapper {
  private readonly tracks: FaceTracks;
  private frameIndex = 0;
  readonly timings = { detect_ms: 0, landmarks_ms: 0, blend_ms: 0 };

  constructor(private readonly o: FrameSwapOptions) {
    this.tracks = new FaceTracks(o.smoothing);
  }

  /** Swaps the chosen faces of `frame` (u8 RGB, in place), shown at `time` seconds. */
  async swapFrame(frame: DecodedImage, time: number): Promise<FrameSwapStats> {
    const index = this.frameIndex++;
    const t0 = performance.now();
    const chosen = chooseFaces(await detectFaces(frame, this.o.detector, this.o.kernels), this.o.targets);
    this.timings.detect_ms += performance.now() - t0;
    const tracks = this.tracks.assign(chosen);
    const stats: FrameSwapStats = { faces: 0, skippedPose: 0 };
    for (let k = 0; k < chosen.length; k++) {
      const track = tracks[k];
      const face = track.smoothFace(chosen[k], time);
      const e = this.o.engine;
      if (e.kind === 'inswapper') {
        this.o.observe?.(index, track.id, Float32Array.from(face.landmarks.flat()));
        const ta = performance.now();
        await e.engine.swap(frame, face);
        this.timings.blend_ms += performance.now() - ta;
        stats.faces++;
        continue;
      }
      const ta = performance.now();
      const points = track.smoothMesh((await faceMesh(e.mesh.session, frame, face, this.o.kernels)).points, time);
      const tb = performance.now();
      this.timings.landmarks_ms += tb - ta;
      this.o.observe?.(index, track.id, points);
      if (Math.abs(yawDegrees(points) - yawDegrees(e.mesh.points)) > MAX_YAW_DIFFERENCE) {
        stats.skippedPose++;
        continue;
      }
      meshSwapFace(frame, e.mesh.image, e.mesh.points, points, { mask: e.mesh.mask, maskBlur: e.mesh.maskBlur }, this.o.kernels);
      this.timings.blend_ms += performance.now() - tb;
      stats.faces++;
    }
    return stats;
  }
}
