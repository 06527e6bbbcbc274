/**
 * Pool worker entry (Piscina). Runs one task: builds the pipeline context, wires cancel and
 * progress over the task's port, and reports failures as data. Inference happens here,
 * never on the main thread (onnxruntime's run() blocks the thread it is called on).
 */
import { type PipelineContext } from '../pipelines/types.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../tasks/errors.js';
import { CancelledError, TaskError } from '../tasks/task-errors.js';
import { loadPipeline } from './dispatch.js';
import type { ControlMessage, WorkerEvent, WorkerRequest, WorkerResponse } from './messages.js';
import { setNativeGate } from '../runtime/native-gate.js';
import { threadContext } from './thread-context.js';

export default async function runTask(req: WorkerRequest): Promise<WorkerResponse> {
  const { port } = req;
  const abort = new AbortController();
  port.on('message', (msg: ControlMessage) => {
    if (msg.type === 'cancel') abort.abort();
  });
  setNativeGate(req.nativeGate);
  try {
    const thread = threadContext(req.env);
    const pipeline = loadPipeline(req.taskType);
    const ctx: PipelineContext = {
      ticketId: req.ticketId,
      signal: abort.signal,
      progress(step, total) {
        const event: WorkerEvent = { type: 'progress', step, total };
        port.postMessage(event);
      },
      sessions: thread.sessions,
      kernels: thread.kernels,
      models: thread.models,
      resultsDir: req.env.resultsDir,
      env: req.env,
      loadImage: (ref, field) => thread.loadImage(ref, field, abort.signal),
    };
    const result = await pipeline(req.params, ctx);
    if (abort.signal.aborted) return { ok: false, cancelled: true, message: 'Task cancelled' };
    return { ok: true, result };
  } catch (err) {
    if (err instanceof CancelledError || abort.signal.aborted) {
      return { ok: false, cancelled: true, message: 'Task cancelled' };
    }
    return describeFailure(err);
  } finally {
    port.close();
  }
}

function describeFailure(err: unknown): WorkerResponse {
  if (err instanceof TaskError) return { ok: false, cancelled: false, message: err.message, code: err.code };
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // Only catalogued codes reach a client; a library's own code (ENOENT, ERR_…) is not one.
  const code: ErrorCode = typeof e?.code === 'string' && e.code in ERROR_CATALOGUE ? e.code as ErrorCode : 'internal_error';
  // Input errors (invalid_image) are the user's to fix; others are reported plainly too,
  // since error_info is the only place a user sees why their task failed.
  return { ok: false, cancelled: false, message, code };
}
