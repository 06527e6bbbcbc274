/**
 * Pool worker entry (Piscina). Runs one task: builds the pipeline context, wires cancel and
 * progress over the pool channel (run-channel.ts), and reports failures as data. Inference happens here,
 * never on the main thread (onnxruntime's run() blocks the thread it is called on).
 */
import { unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type PipelineContext } from '../pipelines/types.js';
import { unlinkIfPresent } from '../results/local-store.js';
import { disableLibvipsCache } from '../imaging/libvips-settings.js';
import { resultFiles } from '../tasks/result-files.js';
import { CancelledError } from '../tasks/task-errors.js';
import { runBatchTask } from './batch-worker.js';
import { describeFailure } from './describe-failure.js';
import { loadPipeline } from './dispatch.js';
import type { BatchRequest, WorkerRequest, WorkerResponse } from './messages.js';
import { setNativeGate } from '../runtime/native-gate.js';
import { CANCEL_SLOT, report, watchCancel } from './run-channel.js';
import { threadContext, threadEnv, threadParts } from './thread-context.js';

// Once per thread (the cache is per process; a second call changes nothing): see libvips-settings.ts.
disableLibvipsCache();

export default async function runTask(req: WorkerRequest | BatchRequest): Promise<WorkerResponse | WorkerResponse[]> {
  return 'kind' in req ? runBatchTask(req) : runOne(req);
}

async function runOne(req: WorkerRequest): Promise<WorkerResponse> {
  const { run } = req;
  const env = threadEnv();
  const abort = new AbortController();
  const unwatch = watchCancel(run, req.nativeGate, CANCEL_SLOT, () => abort.abort());
  setNativeGate(req.nativeGate);
  let previewFile: string | null = null;
  try {
    const thread = threadContext(env);
    const pipeline = loadPipeline(req.taskType);
    let lastTotal = 0;
    const ctx: PipelineContext = {
      ticketId: req.ticketId,
      signal: abort.signal,
      progress(step, total) {
        lastTotal = total;
        report(run, { type: 'progress', step, total });
      },
      preview(file, step) {
        previewFile = file;
        report(run, { type: 'progress', step, total: lastTotal, preview: file });
      },
      ...threadParts(thread, env, abort.signal),
    };
    const result = await pipeline(req.params, ctx);
    if (abort.signal.aborted) {
      // Cancelled while it finished: the file it just wrote must not outlive the task (nobody
      // else learns its name once this answers "cancelled").
      for (const file of resultFiles(result)) await unlinkIfPresent(join(env.resultsDir, basename(file)));
      return { ok: false, cancelled: true, message: 'Task cancelled' };
    }
    return { ok: true, result };
  } catch (err) {
    if (err instanceof CancelledError || abort.signal.aborted) {
      return { ok: false, cancelled: true, message: 'Task cancelled' };
    }
    return describeFailure(err);
  } finally {
    unwatch();
    // A live preview lives only while its task runs: gone once it completes, fails or is cancelled.
    if (previewFile) await unlink(join(env.resultsDir, previewFile)).catch(() => undefined);
  }
}
