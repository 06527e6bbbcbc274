/** Bounds of a video request, checked at the door (schema) and again by the pipeline. */
export const VIDEO = { maxDuration: 10, maxFps: 30, maxFrames: 120 } as const;
