/**
 * How a video is made from its parameters: where the keyframes sit, how strongly each
 * shown frame is re-noised by its img2img pass (from `motion`), and how many scheduler steps that takes.
 * Pure functions: the numbers a request turns into, testable without a model.
 */

/** `motion` when the request leaves it out: frames change visibly but stay coherent. */
export const DEFAULT_MOTION = 0.5;

/** img2img strength of every shown frame: 0.2 (almost still) … 0.6 (free movement); MODELS.md §6 suggests 0.3–0.5. */
export function strengthFor(motion: number): number {
  return 0.2 + 0.4 * Math.min(1, Math.max(0, motion));
}

/**
 * Scheduler steps for an img2img frame: diffusers runs the last ⌊steps·strength⌋ of `steps`,
 * so a 1-step model (SD-Turbo) needs more nominal steps to run even one at a low strength
 * (strength 0.4 → 3 steps, of which the last runs).
 */
export function img2imgSteps(baseSteps: number, strength: number): number {
  if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${strength}`);
  let steps = Math.max(1, baseSteps);
  while (Math.floor(steps * strength) < 1) steps++;
  return steps;
}

/** Frames between keyframes: one keyframe a second, within [4, 16] frames. */
export function keyframeInterval(fps: number): number {
  return Math.min(16, Math.max(4, Math.round(fps)));
}

/**
 * Keyframe frame indices: the first and the last frame, and evenly spaced ones about
 * `interval` apart between them (even spacing: no short last segment that would jump).
 */
export function keyframePositions(frames: number, interval: number): number[] {
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frames must be a positive integer, got ${frames}`);
  if (frames === 1) return [0];
  const segments = Math.max(1, Math.round((frames - 1) / interval));
  const out: number[] = [];
  for (let s = 0; s <= segments; s++) out.push(Math.round((s * (frames - 1)) / segments));
  return out;
}

export interface VideoPlan {
  frames: number;
  keyframes: number[];
  /** img2img strength of every shown frame. */
  strength: number;
  /** Nominal scheduler steps of the img2img pass (⌊steps·strength⌋ of them run). */
  img2imgSteps: number;
  /** How far each keyframe's noise moves from the previous keyframe's (slerp t toward fresh noise). */
  keyframeWalk: number;
}

export function planVideo(frames: number, fps: number, motion: number, baseSteps: number): VideoPlan {
  const strength = strengthFor(motion);
  return {
    frames,
    keyframes: keyframePositions(frames, keyframeInterval(fps)),
    strength,
    img2imgSteps: img2imgSteps(baseSteps, strength),
    keyframeWalk: Math.min(1, Math.max(0, motion)),
  };
}
