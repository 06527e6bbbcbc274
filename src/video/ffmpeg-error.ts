/** An ffmpeg failure meant for the user: what went wrong, with ffmpeg's own last words. */
import { TaskError } from '../tasks/task-errors.js';

export class FfmpegError extends TaskError {
  constructor(message: string, code: 'ffmpeg_failed' | 'ffmpeg_unavailable' = 'ffmpeg_failed') {
    super(message, code);
  }
}
