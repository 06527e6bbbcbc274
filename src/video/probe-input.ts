/**
 * What an input video holds, before any frame is decoded: one `ffmpeg -i FILE -c copy -f null`
 * pass (no decoding, so it is quick) prints the header (size, frame rate, duration, audio codec)
 * and, at the end, how many video packets it copied, which is the frame count the decoder will
 * produce. The npm ffmpeg has no ffprobe, so ffmpeg's own text is parsed. A file ffmpeg cannot
 * read, or one without a video stream, fails with a TaskError naming the field.
 */
import { spawn } from 'node:child_process';
import { TaskError } from '../tasks/task-errors.js';
import { StderrTail } from './stderr-tail.js';

export interface InputVideo {
  width: number;
  height: number;
  /** Frames per second as ffmpeg reports them (e.g. 29.97). */
  fps: number;
  /** Exact video frames (packets) in the file. */
  frames: number;
  /** Seconds; from the container when it says, else frames / fps. */
  durationS: number;
  codec: string;
  /** The first audio stream's codec, or null when there is none. */
  audioCodec: string | null;
}

/** Parses the header and the final progress line of `ffmpeg -i FILE -map 0:v:0 -c copy -f null -`. */
export function parseInputInfo(text: string, field: string): InputVideo {
  const bad = (why: string) => new TaskError(`${field}: ${why}`, 'invalid_video');
  if (!/Input #0, /.test(text)) throw bad(`ffmpeg could not read it as a video (${lastLine(text)}); send an MP4, MOV, WebM or GIF file`);
  const stream = /Stream #0:\d+[^:\n]*: Video: (\w+)[^,\n]*(?:\([^)\n]*\))*, (\w+)(?:\([^)\n]*\))?, (\d+)x(\d+)/.exec(text);
  if (!stream) throw bad('has no video stream');
  const videoLine = text.slice(stream.index, text.indexOf('\n', stream.index) >>> 0);
  const fps = /, ([\d.]+)(k?) fps/.exec(videoLine) ?? /, ([\d.]+)(k?) tbr/.exec(videoLine);
  const rate = fps ? Number(fps[1]) * (fps[2] ? 1000 : 1) : NaN;
  if (!(rate > 0 && rate <= 240)) throw bad('has no usable frame rate');
  // The decoder turns frames by the rotation the file asks for, so the frames it sends are turned too.
  const rotate = /rotate\s*:\s*(-?\d+)/.exec(text.slice(stream.index));
  const quarter = rotate ? Math.abs(Number(rotate[1])) % 180 === 90 : false;
  let w = Number(stream[3]), h = Number(stream[4]);
  if (quarter) [w, h] = [h, w];
  const counted = [...text.matchAll(/frame=\s*(\d+)/g)].pop();
  const frames = counted ? Number(counted[1]) : 0;
  if (frames === 0) throw bad('has no video frames');
  const duration = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const durationS = duration ? Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]) : frames / rate;
  const audio = /Stream #0:\d+[^:\n]*: Audio: (\w+)/.exec(text);
  return { width: w, height: h, fps: rate, frames, durationS, codec: stream[1], audioCodec: audio ? audio[1] : null };
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n|\r/).filter((l) => l.trim());
  return (lines.pop() ?? 'no output').trim().slice(0, 200);
}

export function probeInputVideo(ffmpegPath: string, file: string, field: string, signal?: AbortSignal, timeoutMs = 60_000): Promise<InputVideo> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostdin', '-i', file, '-map', '0:v:0?', '-c', 'copy', '-f', 'null', '-'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    // The header can be long (metadata); keep its start whole and only the tail of the progress lines.
    let head = '';
    const tail = new StderrTail(4);
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    child.stderr.on('data', (c: Buffer) => {
      if (head.length < 64_000) head += c.toString();
      tail.push(c);
    });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
    };
    child.once('error', (err) => {
      done();
      reject(new TaskError(`could not start ffmpeg to read ${field}: ${err.message}`, 'ffmpeg_unavailable'));
    });
    child.once('close', () => {
      done();
      if (signal?.aborted) return reject(signal.reason);
      try {
        // ffmpeg names the file in its messages: the client sees the field's name, never a server path.
        resolve(parseInputInfo(`${head}\n${tail.text()}`.split(file).join(field), field));
      } catch (err) {
        reject(err);
      }
    });
  });
}
