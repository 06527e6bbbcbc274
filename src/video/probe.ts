/**
 * What is in a video file, read with ffmpeg alone: the npm package ships no ffprobe, so the
 * stream line of `ffmpeg -i FILE` is parsed, and frames are counted exactly by decoding to
 * rawvideo. Used by the tests and the bench to check what the encoder wrote.
 */
import { spawn } from 'node:child_process';

export interface VideoProbe {
  container: string;
  codec: string;
  pixFmt: string;
  width: number;
  height: number;
  fps: number;
  /** Container duration in seconds (ffmpeg prints it to 10 ms). */
  durationS: number;
}

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(ffmpegPath: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/** Parses the header ffmpeg prints for an input: container, first video stream, duration. */
export function parseFfmpegInfo(text: string): VideoProbe {
  const input = /Input #0, (.+?), from /.exec(text);
  // e.g. "Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, smpte170m), 64x48, 9 kb/s, 8 fps, ..."
  const stream = /Stream #\d+:\d+[^:]*: Video: (\w+)[^,]*(?:\([^)]*\))*, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)/.exec(text);
  const fps = /, ([\d.]+) fps/.exec(text);
  const duration = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  if (!input || !stream || !fps || !duration) throw new Error(`could not parse ffmpeg's description of the file:\n${text.slice(0, 2000)}`);
  return {
    container: input[1],
    codec: stream[1],
    pixFmt: stream[2],
    width: Number(stream[3]),
    height: Number(stream[4]),
    fps: Number(fps[1]),
    durationS: Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]),
  };
}

export async function probeVideo(ffmpegPath: string, file: string, timeoutMs = 30_000): Promise<VideoProbe> {
  // With no output ffmpeg exits 1 after printing the input's description: that is expected.
  const r = await run(ffmpegPath, ['-hide_banner', '-i', file], timeoutMs);
  return parseFfmpegInfo(r.stderr);
}

/** Every frame decoded to rgb24, in order (small test videos: the whole video in memory). */
export async function decodeRgbFrames(ffmpegPath: string, file: string, width: number, height: number, timeoutMs = 60_000): Promise<Uint8Array[]> {
  const r = await run(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-vsync', 'passthrough', 'pipe:1'], timeoutMs);
  if (r.code !== 0) throw new Error(`ffmpeg could not decode ${file} (code ${r.code}): ${r.stderr.trim()}`);
  const size = width * height * 3;
  if (r.stdout.length % size !== 0) throw new Error(`decoded ${r.stdout.length} bytes, not a whole number of ${width}×${height} frames`);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < r.stdout.length; off += size) frames.push(new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + off, size));
  return frames;
}
