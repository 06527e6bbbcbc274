/**
 * One ffmpeg process decoding a video file to raw rgb24 frames on its stdout, read as a stream:
 * frames are cut from the pipe as they arrive and at most `readAhead` finished frames wait in
 * memory (the pipe is paused beyond that, so ffmpeg blocks), never the whole video. Decoding
 * runs in ffmpeg's own process while the caller works on earlier frames.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TaskError } from '../tasks/task-errors.js';
import { StderrTail } from './stderr-tail.js';

export interface FrameReaderOptions {
  ffmpegPath: string;
  file: string;
  /** Size of the decoded frames (after the file's rotation). */
  width: number;
  height: number;
  /** Decoded frames allowed to wait for the caller (default 3). */
  readAhead?: number;
  /** More frames than this fail the read (the probe's count, as a guard). */
  maxFrames: number;
  /** Request field the file came from, for messages. */
  field: string;
}

export class FrameReader {
  readonly frameBytes: number;
  private readonly child: ChildProcess;
  private readonly stdout: Readable;
  private readonly tail = new StderrTail();
  private readonly queue: Uint8Array[] = [];
  private current: Uint8Array;
  private filled = 0;
  private produced = 0;
  private ended = false;
  private exitCode: number | null | undefined;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private closedByUs = false;
  private readonly exited: Promise<void>;
  /** Time the caller waited for a frame (the decoder was behind). */
  waitMs = 0;

  constructor(private readonly o: FrameReaderOptions) {
    this.frameBytes = o.width * o.height * 3;
    this.current = new Uint8Array(this.frameBytes);
    this.child = spawn(o.ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', o.file, '-map', '0:v:0', '-an', '-sn',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-vsync', 'passthrough', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.stdout = this.child.stdout as Readable;
    this.child.stderr?.on('data', (c: Buffer) => this.tail.push(c));
    this.stdout.on('data', (chunk: Buffer) => this.take(chunk));
    this.stdout.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.fail(new TaskError(`could not start ffmpeg to decode ${o.field}: ${err.message}`, 'ffmpeg_unavailable'));
        resolve();
      });
      this.child.once('close', (code) => {
        this.exitCode = code;
        this.ended = true;
        if (!this.closedByUs) {
          if (code !== 0) this.fail(this.decodeError(`ffmpeg exited with code ${code}`));
          else if (this.filled !== 0) this.fail(this.decodeError('the last frame was cut short'));
        }
        this.poke();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Frames handed out so far. */
  get framesRead(): number {
    return this.produced - this.queue.length;
  }

  /** The next frame (a fresh buffer the caller owns), or null after the last one. */
  async next(signal?: AbortSignal): Promise<Uint8Array | null> {
    const t0 = performance.now();
    while (this.queue.length === 0 && !this.ended && !this.failure) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      this.wake = null;
    }
    this.waitMs += performance.now() - t0;
    signal?.throwIfAborted();
    if (this.failure) throw this.failure;
    const frame = this.queue.shift() ?? null;
    if (this.queue.length < (this.o.readAhead ?? 3) && this.stdout.isPaused()) this.stdout.resume();
    return frame;
  }

  /** Stops ffmpeg (if it still runs) and waits until it is gone. Safe to call twice. */
  async close(): Promise<void> {
    this.closedByUs = true;
    if (this.exitCode === undefined) {
      this.stdout.destroy();
      this.child.kill('SIGKILL');
    }
    await this.exited;
    this.queue.length = 0;
  }

  private take(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.frameBytes - this.filled);
      this.current.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.frameBytes) {
        this.produced++;
        if (this.produced > this.o.maxFrames) {
          this.fail(new TaskError(`${this.o.field}: decodes to more than ${this.o.maxFrames} frames`, 'invalid_video'));
          this.child.kill('SIGKILL');
          return;
        }
        this.queue.push(this.current);
        this.current = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
    if (this.queue.length >= (this.o.readAhead ?? 3)) this.stdout.pause();
    this.poke();
  }

  private decodeError(why: string): TaskError {
    // ffmpeg names the file in its messages: the client sees the field's name, never a server path.
    const said = this.tail.text().split(this.o.file).join(this.o.field);
    return new TaskError(`${this.o.field} could not be decoded after ${this.produced} frame(s): ${why}.${said ? `\nffmpeg said:\n${said}` : ''}`, 'invalid_video');
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.poke();
  }

  private poke(): void {
    this.wake?.();
  }
}
