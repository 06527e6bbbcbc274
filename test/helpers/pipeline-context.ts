/**
 * A pipeline context as the worker thread builds one, for tests that call a pipeline directly:
 * no cancel, progress dropped, a fresh results folder, no worker tuning (the pipelines tested
 * this way read none). Each suite brings its session cache, sized for its models, and an image
 * loader where the pipeline reads images.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '../../src/models/registry.js';
import { loadKernels } from '../../src/native/index.js';
import type { PipelineContext } from '../../src/pipelines/types.js';
import type { SessionCache } from '../../src/runtime/index.js';
import type { WorkerEnv } from '../../src/pipelines/worker-env.js';

export interface DirectContextOptions {
  /** Names the ticket and the results folder. */
  tag: string;
  modelsDir: string;
  sessions: SessionCache;
  loadImage?: PipelineContext['loadImage'];
}

export function directContext(opts: DirectContextOptions, over: Partial<PipelineContext> = {}): PipelineContext {
  return {
    ticketId: `${opts.tag}-${Math.random().toString(36).slice(2)}`,
    signal: new AbortController().signal,
    progress: () => undefined,
    sessions: opts.sessions,
    kernels: loadKernels(),
    models: createRegistry(opts.modelsDir),
    resultsDir: mkdtempSync(join(tmpdir(), `backserv-${opts.tag}-results-`)),
    env: {} as WorkerEnv,
    loadImage: opts.loadImage ?? ((_ref, field) => Promise.reject(new Error(`${opts.tag}: this pipeline loads no images (${field})`))),
    ...over,
  };
}
