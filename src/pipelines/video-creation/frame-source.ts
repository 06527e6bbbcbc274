/**
 * Where video frames come from. The encoder only needs RGB frames in order, so a true video
 * model (one that denoises all frames jointly) can replace the keyframe + img2img source
 * without touching the encoding side.
 */

export interface VideoFrame {
  /** 0-based position in the video. */
  index: number;
  /** u8 RGB, width × height × 3. Freshly allocated: the encoder may hold it until ffmpeg reads it. */
  rgb: Uint8Array;
  kind: 'keyframe' | 'inbetween';
}

export interface FrameSource {
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  /** Frames in display order, each exactly once. Stops with CancelledError when `signal` fires. */
  frames(signal: AbortSignal): AsyncIterable<VideoFrame>;
}
