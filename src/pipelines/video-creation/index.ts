/**
 * video_creation: text-to-image keyframes + an img2img chain from a Stable Diffusion model, streamed
 * into one ffmpeg process as H.264 MP4. Frame sources are swappable (FrameSource).
 */
export { runVideoCreation, createVideoCreation } from './pipeline.js';
export { VIDEO, VIDEO_DEFAULTS, videoCreationParams } from './params.js';
export type { VideoSettings } from './params.js';
export type { VideoCreationDeps } from './pipeline.js';
export type { FrameSource, VideoFrame } from './frame-source.js';
export { SdFrameSource } from './sd-frame-source.js';
export type { SdFrameSourceOptions, SdFrameStats } from './sd-frame-source.js';
export { DEFAULT_MOTION, img2imgSteps, keyframeInterval, keyframePositions, planVideo, strengthFor } from './plan.js';
export type { VideoPlan } from './plan.js';
export { lerp, slerp } from './interpolate.js';
