/**
 * Which ffmpeg to run: an operator's explicit path first, then `ffmpeg` on the system PATH
 * (usually newer, e.g. Debian's 5.x), then the static 4.x build that `@ffmpeg-installer/ffmpeg`
 * ships inside node_modules (works offline). Looked up per task: a few stat calls, and an
 * ffmpeg installed while the service runs is picked up without a restart.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { FfmpegError } from './ffmpeg-error.js';

/** Environment variable naming an ffmpeg binary to use instead of the search. */
export const FFMPEG_ENV = 'BACKSERV_FFMPEG';

export type FfmpegSource = 'configured' | 'system' | 'npm';

export interface LocatedFfmpeg {
  path: string;
  source: FfmpegSource;
}

export interface LocateOptions {
  /** An explicit path (BACKSERV_FFMPEG); when set, nothing else is tried. */
  configured?: string;
  /** The PATH to search (defaults to process.env.PATH). */
  pathEnv?: string;
  /** Where the npm package's binary is, if it is installed (tests replace this). */
  npmPath?: () => string | undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `@ffmpeg-installer/ffmpeg`'s binary; the package throws (a string) when its binary is absent. */
export function npmFfmpegPath(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: unknown };
    return typeof pkg.path === 'string' ? pkg.path : undefined;
  } catch {
    return undefined;
  }
}

export function locateFfmpeg(opts: LocateOptions = {}): LocatedFfmpeg {
  if (opts.configured) {
    if (isExecutableFile(opts.configured)) return { path: opts.configured, source: 'configured' };
    throw new FfmpegError(`${FFMPEG_ENV}=${opts.configured} is not an executable file.`, 'ffmpeg_unavailable');
  }
  const dirs = (opts.pathEnv ?? process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, 'ffmpeg');
    if (isExecutableFile(candidate)) return { path: candidate, source: 'system' };
  }
  const npm = (opts.npmPath ?? npmFfmpegPath)();
  if (npm && isExecutableFile(npm)) return { path: npm, source: 'npm' };
  throw new FfmpegError(
    'No ffmpeg found: none on the PATH and the npm package @ffmpeg-installer/ffmpeg is not installed. ' +
      `Install ffmpeg (apt-get install ffmpeg), run npm ci, or set ${FFMPEG_ENV} to an ffmpeg binary.`,
    'ffmpeg_unavailable',
  );
}
