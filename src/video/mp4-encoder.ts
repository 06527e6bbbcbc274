/**
 * One ffmpeg process per video, fed raw rgb24 frames on stdin while later frames are still
 * being generated, writing H.264/yuv420p MP4 (+faststart) to a temp file beside the result,
 * renamed into place only when ffmpeg exits cleanly. No frame is kept once ffmpeg has taken it.
 *
 * child_process rather than fluent-ffmpeg: fluent-ffmpeg runs `ffmpeg -formats` and
 * `-encoders` before every command (extra processes, and a broken binary then fails with
 * "format not available" instead of its own stderr), and it feeds stdin by piping a stream
 * while silencing stdin's errors, so the write loop would sit behind a PassThrough with no
 * direct view of ffmpeg's backpressure or of a broken pipe. The argument list here is short
 * and fixed; spawning it directly keeps drain, EPIPE, exit codes and kill in one place.
 *
 * Nothing waits on ffmpeg unboundedly: a frame ffmpeg does not take within `stallTimeoutMs`,
 * or an exit that takes longer than `finishTimeoutMs` after the last frame, kills it and
 * fails with its last stderr lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { FfmpegError } from './ffmpeg-error.js';
import { StderrTail } from './stderr-tail.js';

export interface Mp4EncoderOptions {
  ffmpegPath: string;
  /** Size of the frames written; odd sizes are cropped by one pixel to the even size H.264 4:2:0 needs. */
  width: number;
  height: number;
  fps: number;
  /** The finished file. ffmpeg writes `.<name>.<pid>.tmp` beside it; a rename publishes it. */
  outFile: string;
  /** x264 preset and constant-quality factor. */
  preset?: string;
  crf?: number;
  /** Longest wait for ffmpeg to take one frame before it is declared stuck. */
  stallTimeoutMs?: number;
  /** Longest wait for ffmpeg to flush and exit after the last frame. */
  finishTimeoutMs?: number;
  /**
   * An audio track to add from another file (its first audio stream): copied as it is when MP4
   * carries that codec (`copy`), else re-encoded to AAC. Default: no audio.
   */
  audio?: { file: string; copy: boolean };
  /** Extra output options placed before the output file (tests force failures with these). */
  extraOutputArgs?: readonly string[];
}

export interface EncodeStats {
  frames: number;
  /** Size of the MP4 in bytes. */
  bytes: number;
  /** Encoded size (even). */
  width: number;
  height: number;
  /** Time write() spent waiting for ffmpeg to take frames (backpressure). */
  waitMs: number;
  /** From the end of input to ffmpeg's exit: flushing the encoder and the faststart rewrite. */
  finishMs: number;
}

export const ENCODER_DEFAULTS = Object.freeze({ preset: 'medium', crf: 20, stallTimeoutMs: 60_000, finishTimeoutMs: 120_000 });

/** How long abort() and failure paths wait for a killed ffmpeg to be reaped. */
const KILL_WAIT_MS = 5_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: width - (width % 2), height: height - (height % 2) };
}

export function encoderArgs(o: Mp4EncoderOptions, tmpFile: string): string[] {
  const out = evenSize(o.width, o.height);
  const crop = out.width !== o.width || out.height !== o.height ? ['-vf', `crop=${out.width}:${out.height}:0:0`] : [];
  return [
    '-hide_banner', '-nostats', '-loglevel', 'warning',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, '-framerate', String(o.fps), '-i', 'pipe:0',
    ...(o.audio ? ['-i', o.audio.file, '-map', '0:v:0', '-map', '1:a:0'] : []),
    ...crop,
    ...(o.audio ? ['-c:a', ...(o.audio.copy ? ['copy'] : ['aac', '-b:a', '160k'])] : ['-an']),
    '-c:v', 'libx264', '-preset', o.preset ?? ENCODER_DEFAULTS.preset, '-crf', String(o.crf ?? ENCODER_DEFAULTS.crf),
    // A keyframe every 2 s so players can seek without decoding from the start.
    '-g', String(Math.max(1, Math.round(2 * o.fps))),
    // swscale converts RGB with the BT.601 matrix into limited range: say so in the stream.
    '-pix_fmt', 'yuv420p', '-colorspace', 'smpte170m', '-color_range', 'tv',
    '-movflags', '+faststart',
    ...(o.extraOutputArgs ?? []),
    '-f', 'mp4', '-y', tmpFile,
  ];
}

function describeExit(e: Exit): string {
  return e.signal ? `ffmpeg was killed by ${e.signal}` : `ffmpeg exited with code ${e.code}`;
}

export class Mp4Encoder {
  readonly tmpFile: string;
  readonly frameBytes: number;
  private readonly child: ChildProcess;
  private readonly stdin: Writable;
  private readonly tail = new StderrTail();
  private readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  /** The first thing that went wrong, in words; set once. */
  private problem: string | null = null;
  private spawnFailed = false;
  /** finish() or abort() has begun: ffmpeg exiting now is expected. */
  private ending = false;
  private killedByUs = false;
  private frames = 0;
  private waitMs = 0;

  constructor(private readonly o: Mp4EncoderOptions) {
    if (o.width < 2 || o.height < 2) throw new RangeError(`video frames must be at least 2×2, got ${o.width}×${o.height}`);
    this.frameBytes = o.width * o.height * 3;
    this.tmpFile = join(dirname(o.outFile), `.${basename(o.outFile)}.${process.pid}.tmp`);
    this.child = spawn(o.ffmpegPath, encoderArgs(o, this.tmpFile), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.stdin = this.child.stdin as Writable;
    this.child.stderr?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    // Without this listener an EPIPE would be an uncaught exception that takes the worker down.
    this.stdin.on('error', (err: NodeJS.ErrnoException) => {
      this.note(`the pipe to ffmpeg broke (${err.code ?? err.message}) after ${this.frames} frame(s)`);
    });
    this.stdin.on('close', () => {
      if (!this.ending) this.note(`ffmpeg closed its input after ${this.frames} frame(s)`);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.spawnFailed = true;
        this.note(`could not start ${o.ffmpegPath}: ${err.message}`);
      });
      // 'close' follows 'exit' once stdio has closed, and also follows a failed spawn.
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        if (!this.ending) this.note(`${describeExit(this.exit)} after ${this.frames} frame(s), before the last frame`);
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get framesWritten(): number {
    return this.frames;
  }

  /**
   * Hands one width×height×3 RGB frame to ffmpeg and resolves once ffmpeg can take more.
   * The buffer is referenced until ffmpeg has read it: pass a fresh one each time. An abort of
   * `signal` while waiting rejects with the signal's reason (the caller then calls abort()).
   */
  async write(rgb: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (rgb.length !== this.frameBytes) throw new RangeError(`frame has ${rgb.length} bytes, expected ${this.frameBytes} (${this.o.width}×${this.o.height}×3)`);
    if (this.ending) throw new Error('write() after finish() or abort()');
    if (this.problem) return this.fail();
    signal?.throwIfAborted();
    this.frames++;
    if (this.stdin.write(rgb)) return;
    const t0 = performance.now();
    const outcome = await this.waitDrain(signal);
    this.waitMs += performance.now() - t0;
    if (outcome === 'aborted') signal?.throwIfAborted();
    if (outcome === 'stalled') this.note(`ffmpeg took no frame for ${this.o.stallTimeoutMs ?? ENCODER_DEFAULTS.stallTimeoutMs} ms (frame ${this.frames})`);
    if (this.problem) return this.fail();
  }

  /** Ends the input, waits for ffmpeg to exit cleanly and publishes the file. */
  async finish(): Promise<EncodeStats> {
    if (this.problem) return this.fail();
    this.ending = true;
    const t0 = performance.now();
    this.stdin.end();
    const limit = this.o.finishTimeoutMs ?? ENCODER_DEFAULTS.finishTimeoutMs;
    const exit = await withTimeout(this.exited, limit);
    if (!exit) this.note(`ffmpeg did not finish within ${limit} ms after the last frame`);
    else if (!this.problem && (exit.code !== 0 || exit.signal)) this.note(describeExit(exit));
    if (this.problem) return this.fail();
    const finishMs = performance.now() - t0;
    const { size } = await stat(this.tmpFile);
    await rename(this.tmpFile, this.o.outFile);
    return { frames: this.frames, bytes: size, ...evenSize(this.o.width, this.o.height), waitMs: this.waitMs, finishMs };
  }

  /** Kills ffmpeg, waits until it is gone and deletes the partial file. Safe to call twice. */
  async abort(): Promise<void> {
    this.ending = true;
    this.kill();
    await withTimeout(this.exited, KILL_WAIT_MS);
    await unlink(this.tmpFile).catch(() => undefined);
  }

  private note(problem: string): void {
    this.problem ??= problem;
  }

  private kill(): void {
    if (this.exit || this.spawnFailed) return;
    this.killedByUs = true;
    this.stdin.destroy();
    this.child.kill('SIGKILL');
  }

  /** Kills ffmpeg if it still runs, cleans up, and throws the failure with ffmpeg's last words. */
  private async fail(): Promise<never> {
    this.ending = true;
    // A broken pipe is usually ffmpeg exiting: give it a moment so its exit code and stderr land.
    if (!this.exit && !this.spawnFailed) await withTimeout(this.exited, 1_000);
    this.kill();
    await withTimeout(this.exited, KILL_WAIT_MS);
    await unlink(this.tmpFile).catch(() => undefined);
    let why = this.problem ?? 'ffmpeg failed';
    if (this.exit && !this.killedByUs && !why.includes(describeExit(this.exit))) why += `; ${describeExit(this.exit)}`;
    const said = this.tail.text();
    throw new FfmpegError(`Video encoding failed: ${why}.${said ? `\nffmpeg said:\n${said}` : ' ffmpeg printed nothing.'}`);
  }

  private waitDrain(signal?: AbortSignal): Promise<'drain' | 'trouble' | 'stalled' | 'aborted'> {
    return new Promise((resolve) => {
      const onDrain = () => done('drain');
      const onTrouble = () => done('trouble');
      const onAbort = () => done('aborted');
      const timer = setTimeout(() => done('stalled'), this.o.stallTimeoutMs ?? ENCODER_DEFAULTS.stallTimeoutMs);
      const done = (r: 'drain' | 'trouble' | 'stalled' | 'aborted') => {
        clearTimeout(timer);
        this.stdin.off('drain', onDrain);
        this.stdin.off('error', onTrouble);
        this.stdin.off('close', onTrouble);
        this.child.off('close', onTrouble);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      this.stdin.on('drain', onDrain);
      this.stdin.on('error', onTrouble);
      this.stdin.on('close', onTrouble);
      this.child.on('close', onTrouble);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.problem || this.exit) done('trouble');
      else if (signal?.aborted) done('aborted');
    });
  }
}

/** The promise's value, or undefined once `ms` have passed (the timer never outlives the wait). */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
