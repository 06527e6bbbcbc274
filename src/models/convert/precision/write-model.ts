/**
 * Writing a converted model: all weights inline, or past a threshold, every initializer over
 * 1 KB in one side file named after the model's final name (protobuf caps a file at 2 GB).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodeModel, type OnnxModel } from '../onnx-read.js';
import { externalize, inlineBytes, internalizeAll } from './external-data.js';

export interface WriteOptions {
  /** Inline bytes above which weights go to a side file (default 1 GB). */
  externalThreshold?: number;
  /** The model's final path when `dest` is a temporary one; the side file is named after it. */
  finalPath?: string;
}

export interface WriteResult {
  /** Where the side file was written (rename it beside `finalPath`), or null when all is inline. */
  externalFile: string | null;
  /** External-data files of the source that the result no longer needs. */
  replacedFiles: string[];
}

/** `sourceFiles`: the side files the source model read (externalFiles() before converting). */
export function writeConverted(model: OnnxModel, srcDir: string, sourceFiles: string[], dest: string, opts: WriteOptions = {}): WriteResult {
  const graph = model.graph;
  if (!graph) throw new Error(`${dest}: no graph`);
  const threshold = opts.externalThreshold ?? 1 << 30;
  internalizeAll(graph, srcDir);
  let externalFile: string | null = null;
  if (inlineBytes(graph) > threshold) {
    externalFile = `${dest}.data`;
    externalize(graph, externalFile, `${basename(opts.finalPath ?? dest)}.data`, Math.min(1024, threshold));
  }
  const bytes = encodeModel(model);
  const fd = openSync(dest, 'w');
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return { externalFile, replacedFiles: sourceFiles.map((f) => join(srcDir, f)) };
}

