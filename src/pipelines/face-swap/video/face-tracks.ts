/**
 * Faces followed from frame to frame, so each keeps its own One Euro filters: a detection joins
 * the track whose last box overlaps it most (IoU), else starts a new one; a track unseen for a
 * few frames is dropped, and a face that returns starts fresh (no smoothing across a cut).
 * Smoothing works in face sizes per second (beta is divided by the face's size when its track
 * starts), so the same settings fit a small face and a close-up.
 */
import type { Face } from '../types.js';
import { OneEuroFilter, type OneEuroOptions } from './one-euro.js';

/** A track unseen for more frames than this is dropped. */
const MAX_MISSES = 5;
/** Least overlap for a detection to continue a track. */
const MIN_IOU = 0.3;

export class FaceTrack {
  misses = 0;
  private readonly faceFilter: OneEuroFilter;
  private readonly meshFilter: OneEuroFilter;

  constructor(readonly id: number, public box: Face['box'], smoothing: OneEuroOptions | null) {
    const size = Math.max(1, box[2] - box[0], box[3] - box[1]);
    const o = smoothing ? { ...smoothing, beta: smoothing.beta / size } : null;
    // Without smoothing the filters are never used: `smoothFace` and `smoothMesh` pass values through.
    this.faceFilter = new OneEuroFilter(o ?? { minCutoff: 1, beta: 0, dCutoff: 1 });
    this.meshFilter = new OneEuroFilter(o ?? { minCutoff: 1, beta: 0, dCutoff: 1 });
    this.smooth = o !== null;
  }

  private readonly smooth: boolean;

  /** The detection with its box and five landmarks filtered (they place the landmark crop and the swap). */
  smoothFace(face: Face, time: number): Face {
    if (!this.smooth) return face;
    const v = [...face.box, ...face.landmarks.flat()];
    const f = this.faceFilter.filter(v, time);
    const lm = (k: number) => [f[4 + 2 * k], f[5 + 2 * k]] as const;
    return { box: [f[0], f[1], f[2], f[3]], score: face.score, landmarks: [lm(0), lm(1), lm(2), lm(3), lm(4)] };
  }

  /** FaceMesh points (x, y, z per vertex) filtered. */
  smoothMesh(points: Float32Array, time: number): Float32Array {
    if (!this.smooth) return points;
    return Float32Array.from(this.meshFilter.filter(points, time));
  }
}

export function iou(a: Face['box'], b: Face['box']): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

export class FaceTracks {
  private tracks: FaceTrack[] = [];
  private nextId = 0;

  constructor(private readonly smoothing: OneEuroOptions | null) {}

  /** Assigns each face of this frame a track (greedy, best overlap first); returns them in the faces' order. */
  assign(faces: readonly Face[]): FaceTrack[] {
    const pairs: { f: number; t: number; v: number }[] = [];
    faces.forEach((face, f) => this.tracks.forEach((track, t) => {
      const v = iou(face.box, track.box);
      if (v >= MIN_IOU) pairs.push({ f, t, v });
    }));
    pairs.sort((a, b) => b.v - a.v);
    const byFace = new Array<FaceTrack | undefined>(faces.length);
    const used = new Set<number>();
    for (const p of pairs) {
      if (byFace[p.f] || used.has(p.t)) continue;
      byFace[p.f] = this.tracks[p.t];
      used.add(p.t);
    }
    this.tracks.forEach((track, t) => { if (!used.has(t)) track.misses++; });
    this.tracks = this.tracks.filter((track) => track.misses <= MAX_MISSES);
    return faces.map((face, f) => {
      let track = byFace[f];
      if (!track) {
        track = new FaceTrack(this.nextId++, face.box, this.smoothing);
        this.tracks.push(track);
      }
      track.misses = 0;
      track.box = face.box;
      return track;
    });
  }
}
