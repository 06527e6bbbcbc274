/**
 * Entry of a worker host: a child process that owns one worker (a Piscina pool of one thread),
 * its ONNX Runtime sessions and libvips. A native crash (SIGSEGV, abort, OOM kill) ends this
 * process only; the API process that forked it keeps answering and starts a new host. It lives
 * exactly as long as its IPC channel: when the parent goes away, so does the host. It reports its
 * memory once a second (/metrics) and, when an RSS limit is set, after every task (recycling).
 */
import { WorkerPool } from '../pool.js';
import type { RunHandle } from '../task-pool.js';
import { lowerOwnPriority } from './lower-priority.js';
import type { FromHost, HostMemory, ToHost } from './protocol.js';

const send = (msg: FromHost) => process.send?.(msg);
const runs = new Map<number, RunHandle>();
let pool: WorkerPool | null = null;
let memoryAfterTask = false;

function memory(): HostMemory {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The memory a 'done' carries: only when a recycle decides on it (HostInit.memoryAfterTask). */
function afterTask(): { memory?: HostMemory } {
  return memoryAfterTask ? { memory: memory() } : {};
}

process.on('disconnect', () => process.exit(0));
setInterval(() => send({ type: 'memory', memory: memory() }), 1000).unref();

process.on('message', (msg: ToHost) => {
  switch (msg.type) {
    case 'init': {
      // Before the pool exists, so every thread it and ONNX Runtime create inherits the priority.
      const failed = msg.nice === undefined ? null : lowerOwnPriority(msg.nice);
      if (failed) process.stderr.write(`worker host: could not lower its CPU priority to nice ${msg.nice}: ${failed}\n`);
      memoryAfterTask = msg.memoryAfterTask === true;
      pool = new WorkerPool(msg.options);
      send({ type: 'ready', memory: memory() });
      return;
    }
    case 'run': {
      if (!pool) throw new Error('run before init');
      const handle = pool.run(msg.ticketId, msg.taskType, msg.params, (step, total, preview) => send({ type: 'progress', id: msg.id, step, total, ...(preview ? { preview } : {}) }));
      runs.set(msg.id, handle);
      void handle.done.then((response) => {
        runs.delete(msg.id);
        send({ type: 'done', id: msg.id, response, ...afterTask() });
      });
      return;
    }
    case 'runBatch': {
      if (!pool) throw new Error('run before init');
      const handles = pool.runBatch(msg.taskType, msg.members.map((m, i) => ({
        ...m, onProgress: (step: number, total: number, preview?: string) => send({ type: 'progress', id: msg.ids[i], step, total, ...(preview ? { preview } : {}) }),
      })));
      handles.forEach((handle, i) => {
        const id = msg.ids[i];
        runs.set(id, handle);
        void handle.done.then((response) => {
          runs.delete(id);
          send({ type: 'done', id, response, ...afterTask() });
        });
      });
      return;
    }
    case 'cancel':
      void runs.get(msg.id)?.cancel();
      return;
    case 'close':
      void (pool?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});
