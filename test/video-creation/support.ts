/** Shared by the video_creation tests: real ffmpeg, fake ffmpegs that fail, frame statistics, child processes. */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { loadKernels } from '../../src/native/index.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import { SessionCache, chooseDevice } from '../../src/runtime/index.js';
import { locateFfmpeg } from '../../src/video/locate-ffmpeg.js';
import { directContext } from '../helpers/pipeline-context.js';

const located = locateFfmpeg();
/** The ffmpeg the pipeline will pick here: a system one on the PATH when present, else the npm build. */
export const ffmpegPath = located.path;
export const ffmpegSource = located.source;
export const sessions = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 1 }, 8);
export const kernels = loadKernels();

export function videoContext(over: Partial<PipelineContext> = {}): PipelineContext {
  return directContext({ tag: 'video', modelsDir: inject('testModelsDir'), sessions }, over);
}

/** An executable shell script standing in for ffmpeg. */
export function fakeFfmpeg(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-fake-ffmpeg-'));
  const path = join(dir, 'ffmpeg');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Prints a codec complaint and exits 1 without reading a byte. */
export const FAILING_FFMPEG = 'echo "Unknown encoder \'libx264\' (fake ffmpeg for tests)" >&2; exit 1';

/** Mean absolute difference of two equally long byte arrays. */
export function mad(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError('length mismatch');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** pid → [comm, state, ppid] of every process, from /proc (Linux). */
function processTable(): Map<number, { comm: string; state: string; ppid: number }> {
  const table = new Map<number, { comm: string; state: string; ppid: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { comm, state, ppid: Number(ppid) });
  }
  return table;
}

/**
 * Live (non-zombie) ffmpeg processes started under this one: its children, or the children of
 * the worker host it forked (pipelines run there).
 */
export function ffmpegChildren(): number[] {
  const table = processTable();
  const under = (pid: number): boolean => {
    for (let p = table.get(pid)?.ppid, depth = 0; p !== undefined && p > 1 && depth < 8; p = table.get(p)?.ppid, depth++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...table].filter(([pid, p]) => p.comm === 'ffmpeg' && p.state !== 'Z' && under(pid)).map(([pid]) => pid);
}

/** Whether a process runs (exists and is not a zombie), whatever its name (fake ffmpegs exec `sleep`). */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The top-level MP4 boxes in order (faststart puts moov before mdat). */
export function topLevelBoxes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: string[] = [];
  for (let off = 0; off + 8 <= bytes.length;) {
    let size = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    if (size === 1) size = Number(view.getBigUint64(off + 8));
    boxes.push(type);
    if (size < 8) break;
    off += size;
  }
  return boxes;
}
