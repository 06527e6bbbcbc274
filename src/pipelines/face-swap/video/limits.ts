/**
 * Bounds on a target_video, checked on the worker's quick probe before any frame is decoded
 * (duration, frames, pixels per frame) and again while decoding (frames). Light: params.ts
 * imports them for the schema's descriptions.
 */
export const VIDEO_SWAP = Object.freeze({
  maxDurationS: 60,
  maxFrames: 1800,
  /** Pixels per frame: 1920 × 1080. */
  maxPixels: 1920 * 1080,
});

/** One Euro settings for the landmarks, in face sizes per second (so they fit any resolution). */
export const SMOOTHING = Object.freeze({ minCutoff: 1.5, beta: 4, dCutoff: 1.0 });
