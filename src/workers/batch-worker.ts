/**
 * Pool worker side of cross-request batching: several claimed tasks run as one batch in this
 * thread. Each member has its own run id on the pool channel (progress and previews out, cancel
 * in), its own abort signal and its own outcome; a member that is cancelled is answered at once (the
 * batch drops it at the next step and writes nothing for it) while the others go on.
 */
import { unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { PipelineContext } from '../pipelines/types.js';
import { unlinkIfPresent } from '../results/local-store.js';
import { setNativeGate } from '../runtime/native-gate.js';
import { resultFiles } from '../tasks/result-files.js';
import { CancelledError } from '../tasks/task-errors.js';
import { describeFailure } from './describe-failure.js';
import { loadBatchPipeline, loadPipeline } from './dispatch.js';
import type { BatchRequest, WorkerResponse } from './messages.js';
import { CANCEL_SLOT, report, watchCancel } from './run-channel.js';
import { threadContext, threadEnv, threadParts } from './thread-context.js';

const CANCELLED: WorkerResponse = { ok: false, cancelled: true, message: 'Task cancelled' };

export async function runBatchTask(req: BatchRequest): Promise<WorkerResponse[]> {
  setNativeGate(req.nativeGate);
  const env = threadEnv();
  const thread = threadContext(env);
  const previews: (string | null)[] = req.members.map(() => null);
  const answered = req.members.map(() => false);
  const answer = (i: number, response: WorkerResponse) => {
    if (answered[i]) return;
    answered[i] = true;
    report(req.members[i].run, { type: 'settled', response });
  };
  const unwatch: (() => void)[] = [];
  const ctxs = req.members.map((m, i): PipelineContext => {
    const abort = new AbortController();
    unwatch.push(watchCancel(m.run, req.nativeGate, CANCEL_SLOT + i, () => {
      abort.abort();
      answer(i, CANCELLED); // leaves now; the batch writes nothing for it
    }));
    let lastTotal = 0;
    return {
      ticketId: m.ticketId,
      signal: abort.signal,
      progress(step, total) {
        lastTotal = total;
        report(m.run, { type: 'progress', step, total });
      },
      preview(file, step) {
        previews[i] = file;
        report(m.run, { type: 'progress', step, total: lastTotal, preview: file });
      },
      ...threadParts(thread, env, abort.signal),
    };
  });
  const responses: WorkerResponse[] = [];
  try {
    const batch = loadBatchPipeline(req.taskType);
    const outcomes = batch
      ? await batch(req.members.map((m) => m.params), ctxs)
      : await Promise.all(req.members.map((m, i) => loadPipeline(req.taskType)(m.params, ctxs[i]).then((result) => ({ ok: true as const, result }), (error: unknown) => ({ ok: false as const, error }))));
    for (const [i, o] of outcomes.entries()) {
      const ctx = ctxs[i];
      let res: WorkerResponse;
      if (ctx.signal.aborted || (!o.ok && o.error instanceof CancelledError)) {
        // Cancelled while it finished: a file it wrote must not outlive the task.
        if (o.ok) for (const file of resultFiles(o.result)) await unlinkIfPresent(join(env.resultsDir, basename(file)));
        res = CANCELLED;
      } else {
        res = o.ok ? { ok: true, result: o.result } : describeFailure(o.error);
      }
      responses.push(res);
    }
  } catch (err) {
    const failure = describeFailure(err);
    for (let i = responses.length; i < req.members.length; i++) responses.push(ctxs[i].signal.aborted ? CANCELLED : failure);
  } finally {
    for (const i of req.members.keys()) {
      answer(i, responses[i] ?? CANCELLED);
      unwatch[i]();
      const file = previews[i];
      if (file) await unlink(join(env.resultsDir, file)).catch(() => undefined);
    }
  }
  return responses;
}
