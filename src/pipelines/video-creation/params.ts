/**
 * video_creation's parameters: its bounds (checked at the door and again here for direct
 * callers), the schema, the frame-count rule the schema cannot state, and `parse`. The SD fields
 * (prompt, size, seed, model) are image_creation's, with the side capped lower; steps, guidance
 * and scheduler are not request fields here and always come from the model. Light: the API
 * process imports this file.
 */
import { dimension, negativePrompt, parseSdImage, prompt, sdModel, type SdImageSettings } from '../image-creation/params.js';
import type { SchedulerName } from '../image-creation/schedulers/names.js';
import { optionalInt, optionalNumber } from '../params/read.js';
import { modelId, seed } from '../params/schema-parts.js';
import type { ParamsModule, ParamsSchema, TaskParams, ModelLookup } from '../params/types.js';
import type { SdModelInfo } from '../image-creation/defaults.js';
import { TaskError } from '../../tasks/task-errors.js';
import { DEFAULT_MOTION } from './plan.js';

export const VIDEO = { maxDuration: 10, maxFps: 30, maxFrames: 120, maxSide: 768 } as const;

export const VIDEO_DEFAULTS = Object.freeze({ duration: 2, fps: 8, motion: DEFAULT_MOTION });

const cap = `, at most ${VIDEO.maxSide}`;

const schema: ParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prompt'],
  properties: {
    prompt,
    negative_prompt: negativePrompt,
    duration: {
      type: 'integer', minimum: 1, maximum: VIDEO.maxDuration, default: VIDEO_DEFAULTS.duration,
      description: `seconds of video; duration × fps is at most ${VIDEO.maxFrames} frames`,
    },
    fps: {
      type: 'integer', minimum: 1, maximum: VIDEO.maxFps, default: VIDEO_DEFAULTS.fps,
      description: `frames per second; duration × fps is at most ${VIDEO.maxFrames} frames`,
    },
    width: dimension(VIDEO.maxSide, 'width', cap),
    height: dimension(VIDEO.maxSide, 'height', cap),
    seed,
    motion: {
      type: 'number', minimum: 0, maximum: 1, default: VIDEO_DEFAULTS.motion,
      description: 'how much consecutive frames may change: 0 almost still, 1 free movement',
    },
    model: modelId('video_creation'),
  },
};

/** A video_creation request after defaults. */
export interface VideoSettings extends SdImageSettings {
  duration: number;
  fps: number;
  /** duration × fps, within 1 … VIDEO.maxFrames. */
  frames: number;
  motion: number;
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
}

function frameCount(params: TaskParams): { duration: number; fps: number; frames: number } {
  const duration = optionalInt(params, 'duration') ?? VIDEO_DEFAULTS.duration;
  const fps = optionalInt(params, 'fps') ?? VIDEO_DEFAULTS.fps;
  return { duration, fps, frames: duration * fps };
}

/** The one rule across fields: the frame count (the schema bounds each factor alone). */
function crossCheck(params: TaskParams): string | null {
  const { frames } = frameCount(params);
  return frames > VIDEO.maxFrames ? `task_params.duration × fps = ${frames} frames is over the limit of ${VIDEO.maxFrames}.` : null;
}

export function parse(params: TaskParams, lookup: ModelLookup<SdModelInfo>): VideoSettings {
  const { duration, fps, frames } = frameCount(params);
  // The API checks these at the door; repeated for direct callers, before any model is touched.
  if (duration < 1 || fps < 1 || frames > VIDEO.maxFrames) {
    throw new TaskError(`duration × fps must give 1 to ${VIDEO.maxFrames} frames, got ${duration} s × ${fps} fps`, 'invalid_params');
  }
  const motion = optionalNumber(params, 'motion') ?? VIDEO_DEFAULTS.motion;
  const { model, defaults } = sdModel(params, lookup);
  return {
    ...parseSdImage(params, model, defaults, VIDEO.maxSide),
    duration,
    fps,
    frames,
    motion,
    steps: defaults.steps,
    guidanceScale: defaults.guidanceScale,
    scheduler: defaults.scheduler,
  };
}

export const videoCreationParams: ParamsModule<VideoSettings, SdModelInfo> = { schema, crossCheck, parse };
