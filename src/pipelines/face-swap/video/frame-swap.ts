/**
 * Face swap on one video frame after another: detect, choose the target faces (per frame, left
 * to right), follow each from frame to frame (FaceTracks) and smooth its detection and its
 * FaceMesh points with One Euro filters before the swap, so the pasted face does not jitter.
 * The mesh engine's pose guard skips a face turned too far from the source in that frame (it is
 * left as filmed) instead of failing the whole video. With the mesh engine the detector runs on
 * every REDETECT_EVERY-th frame only: FaceMesh follows the faces between (see facesOf).
 * With face_enhance each swapped face is restored in the frame right after its swap, as for a picture.
 */
import type { DecodedImage } from '../../../imaging/decoded-image.js';
import type { Kernels } from '../../../native/types.js';
import type { Session } from '../../../runtime/index.js';
import type { FaceEnhancer } from '../../face-enhance/face-enhancer.js';
import { detectFaces, type Detector } from '../detect.js';
import type { InswapperEngine } from '../engines.js';
import { faceMesh } from '../landmarks.js';
import type { FaceMaskSpec } from '../mask.js';
import { meshSwapFace } from '../mesh-swap.js';
import { keepRegionsFor } from '../openness.js';
import type { KeepRegion, TargetFaces } from '../params.js';
import { MAX_YAW_DIFFERENCE, yawDegrees } from '../pose.js';
import { largestFace } from '../select.js';
import type { Face } from '../types.js';
import { FaceTracks, type FaceTrack } from './face-tracks.js';
import type { OneEuroOptions } from './one-euro.js';

export interface MeshSource {
  session: Session;
  image: DecodedImage;
  points: Float32Array;
  mask: Exclude<FaceMaskSpec, { kind: 'box' }>;
  maskBlur: number;
  /** keep_target_regions; default none. */
  keep?: KeepRegion[] | 'auto';
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
  /** face_enhance: restores each swapped face right after its swap (one session for the whole video). */
  enhancer?: FaceEnhancer | null;
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

/** The mesh engine runs the detector on every REDETECT_EVERY-th frame only; between, FaceMesh follows the faces. */
export const REDETECT_EVERY = 5;
/** FaceMesh's face-presence score under which a followed face counts as lost (found again at the next detection). */
const MIN_FACEFLAG = 0.5;
/** FaceMesh points standing in for the detector's five: the eye corners' midpoints, the nose tip, the mouth corners. */
const EYE_L = [33, 133], EYE_R = [362, 263], NOSE = 1, MOUTH_L = 61, MOUTH_R = 291;

/** A detector-like face from FaceMesh points: the box of the mesh, five landmarks from mesh vertices. */
export function faceFromMesh(points: Float32Array, score: number): Face {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < points.length; i += 3) {
    x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
  }
  const p = (v: number) => [points[3 * v], points[3 * v + 1]] as const;
  const mid = ([a, b]: number[]) => [(points[3 * a] + points[3 * b]) / 2, (points[3 * a + 1] + points[3 * b + 1]) / 2] as const;
  return { box: [x0, y0, x1, y1], score, landmarks: [mid(EYE_L), mid(EYE_R), p(NOSE), p(MOUTH_L), p(MOUTH_R)] };
}

export class VideoFrameSwapper {
  private readonly tracks: FaceTracks;
  private frameIndex = 0;
  /** Mesh engine: the faces followed into the next frame, from this frame's FaceMesh points. */
  private followed = new Map<FaceTrack, Face>();
  readonly timings = { detect_ms: 0, landmarks_ms: 0, blend_ms: 0 };
  /** Frames the detector ran on. */
  detections = 0;

  constructor(private readonly o: FrameSwapOptions) {
    this.tracks = new FaceTracks(o.smoothing);
  }

  /**
   * This frame's faces and their tracks. The detector runs on every frame for inswapper (its
   * alignment wants the detector's own five points), and for the mesh engine every
   * REDETECT_EVERY-th frame or when no face is followed; between, the mesh engine follows each
   * face by the box of its last FaceMesh points (as MediaPipe's face mesh does), and a face the
   * detector finds again keeps that mesh-derived box, so its landmark crop never jumps between
   * the two kinds of box.
   */
  private async facesOf(frame: DecodedImage, index: number): Promise<{ faces: Face[]; tracks: FaceTrack[] }> {
    const followed = this.followed;
    this.followed = new Map();
    if (this.o.engine.kind === 'mesh' && followed.size > 0 && index % REDETECT_EVERY !== 0) {
      return { faces: [...followed.values()], tracks: [...followed.keys()] };
    }
    const t0 = performance.now();
    const chosen = chooseFaces(await detectFaces(frame, this.o.detector, this.o.kernels), this.o.targets);
    this.timings.detect_ms += performance.now() - t0;
    this.detections++;
    for (const [track, face] of followed) track.box = face.box;
    const tracks = this.tracks.assign(chosen);
    return { faces: chosen.map((f, k) => followed.get(tracks[k]) ?? f), tracks };
  }

  /** Swaps the chosen faces of `frame` (u8 RGB, in place), shown at `time` seconds. */
  async swapFrame(frame: DecodedImage, time: number): Promise<FrameSwapStats> {
    const index = this.frameIndex++;
    const { faces: chosen, tracks } = await this.facesOf(frame, index);
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
        await this.o.enhancer?.enhance(frame, face);
        stats.faces++;
        continue;
      }
      const ta = performance.now();
      const mesh = await faceMesh(e.mesh.session, frame, face, this.o.kernels);
      if (mesh.faceflag < MIN_FACEFLAG) continue; // lost: left as filmed until the detector finds it again
      this.followed.set(track, faceFromMesh(mesh.points, mesh.faceflag));
      const points = track.smoothMesh(mesh.points, time);
      const tb = performance.now();
      this.timings.landmarks_ms += tb - ta;
      this.o.observe?.(index, track.id, points);
      if (Math.abs(yawDegrees(points) - yawDegrees(e.mesh.points)) > MAX_YAW_DIFFERENCE) {
        stats.skippedPose++;
        continue;
      }
      const keep = keepRegionsFor(e.mesh.keep ?? [], e.mesh.points, points);
      meshSwapFace(frame, e.mesh.image, e.mesh.points, points, { mask: e.mesh.mask, maskBlur: e.mesh.maskBlur, keep }, this.o.kernels);
      this.timings.blend_ms += performance.now() - tb;
      // Aligned by the same (smoothed) mesh the swap used, so the restored face sits where it was pasted.
      await this.o.enhancer?.enhance(frame, faceFromMesh(points, mesh.faceflag));
      stats.faces++;
    }
    return stats;
  }
}
