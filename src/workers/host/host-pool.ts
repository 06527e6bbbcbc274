/**
 * The API process's side of the worker host: a TaskPool whose slots live in a child process
 * (host-main.ts). The child is supervised: when it dies (a native crash, an abort, an OOM kill),
 * only the tasks it was running end, each with `interrupted: 'host_crash'` so the queue can
 * re-queue them with the attempt counted; a new host starts after a back-off, and runs issued
 * meanwhile wait for it. HTTP never stops answering, since nothing native runs in this process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../infra/logging.js';
import type { TaskType } from '../../tasks/types.js';
import type { WorkerResponse } from '../messages.js';
import type { PoolOptions } from '../pool.js';
import type { BatchMember, ProgressListener, RunHandle, TaskPool } from '../task-pool.js';
import type { FromHost, ToHost } from './protocol.js';

export interface HostCrash {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Tasks that were running in the host when it died. */
  tasks: number;
}

export interface HostPoolOptions {
  pool: PoolOptions;
  log: Logger;
  onCrash?(crash: HostCrash): void;
  /** First restart delay; doubles per crash in a row up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface Run {
  ticketId: string;
  taskType: TaskType;
  params: Record<string, unknown>;
  onProgress: ProgressListener;
  resolve(res: WorkerResponse): void;
  /** Handed to the current host (false: waiting for one to start). */
  sent: boolean;
  /** The slot it occupies: its own id, or the first id of its batch (members share one slot). */
  slot: number;
  /** Every member id of its batch (null: a single task). */
  batch: number[] | null;
  cancelRequested: boolean;
}

/** A host that stayed up this long ends a crash streak: the next crash restarts at once again. */
const STABLE_MS = 60_000;

function hostEntry(): { file: string; execArgv: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'host-main.js');
  return existsSync(js) ? { file: js, execArgv: [] } : { file: join(here, 'host-main.ts'), execArgv: ['--import', 'tsx'] };
}

export class HostPool implements TaskPool {
  private child: ChildProcess | null = null;
  private ready = false;
  private closing = false;
  private nextId = 1;
  private crashesInARow = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly runs = new Map<number, Run>();
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: HostPoolOptions) {
    this.start();
  }

  get size(): number {
    return this.opts.pool.size;
  }

  /** Slots in use: a batch holds one slot until its last member settles. */
  get busy(): number {
    return new Set([...this.runs.values()].map((r) => r.slot)).size;
  }

  get idle(): number {
    return this.size - this.busy;
  }

  /** The host's process id (null while it restarts); for logs, metrics and crash tests. */
  get hostPid(): number | null {
    return this.ready ? this.child?.pid ?? null : null;
  }

  run(ticketId: string, taskType: TaskType, params: Record<string, unknown>,
    onProgress: ProgressListener): RunHandle {
    const id = this.nextId++;
    const done = new Promise<WorkerResponse>((resolve) => {
      this.runs.set(id, { ticketId, taskType, params, onProgress, resolve, sent: false, cancelRequested: false, slot: id, batch: null });
    });
    if (this.ready) this.send(id);
    return { done, cancel: this.canceller(id, done) };
  }

  runBatch(taskType: TaskType, members: readonly BatchMember[]): RunHandle[] {
    const ids = members.map(() => this.nextId++);
    const dones = members.map((m, i) => new Promise<WorkerResponse>((resolve) => {
      this.runs.set(ids[i], { ...m, taskType, resolve, sent: false, cancelRequested: false, slot: ids[0], batch: ids });
    }));
    if (this.ready) this.send(ids[0]);
    return dones.map((done, i) => ({ done, cancel: this.canceller(ids[i], done) }));
  }

  private canceller(id: number, done: Promise<WorkerResponse>): () => Promise<void> {
    return async () => {
      const run = this.runs.get(id);
      if (run && !run.cancelRequested) {
        run.cancelRequested = true;
        if (run.sent) this.post({ type: 'cancel', id });
        else this.finish(id, { ok: false, cancelled: true, message: 'Task cancelled' });
      }
      await done;
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.post({ type: 'close' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(killer);
    }
    // Whatever had not finished was stopped by the shutdown, not by a fault of its own.
    for (const id of [...this.runs.keys()]) {
      this.finish(id, { ok: false, cancelled: false, code: 'worker_crashed', message: 'The server shut down while the task ran.', interrupted: 'shutdown' });
    }
  }

  private start(): void {
    const { file, execArgv } = hostEntry();
    const child = fork(file, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.ready = false;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (msg: FromHost) => this.onMessage(msg));
    child.on('error', (err) => this.opts.log.error({ err: err.message }, 'worker host error'));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.post({ type: 'init', options: this.opts.pool });
  }

  private onMessage(msg: FromHost): void {
    if (msg.type === 'ready') {
      this.ready = true;
      this.opts.log.info({ pid: this.child?.pid, slots: this.size }, 'worker host ready');
      for (const [id, run] of this.runs) if (!run.sent) this.send(id);
    } else if (msg.type === 'progress') {
      this.runs.get(msg.id)?.onProgress(msg.step, msg.total, msg.preview);
    } else {
      this.finish(msg.id, msg.response);
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.ready = false;
    const lost = [...this.runs].filter(([, r]) => r.sent);
    for (const [id, run] of lost) {
      this.finish(id, run.cancelRequested
        ? { ok: false, cancelled: true, message: 'Task cancelled (worker host ended)' }
        : { ok: false, cancelled: false, code: 'worker_crashed', message: 'The worker process running this task crashed.', detail: `worker host exited with ${signal ?? `code ${code}`}`, interrupted: 'host_crash' });
    }
    if (this.closing) return;
    this.crashesInARow = Date.now() - this.startedAt > STABLE_MS ? 1 : this.crashesInARow + 1;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 250) * 2 ** (this.crashesInARow - 1));
    this.opts.log.error({ code, signal, tasks: lost.length, restart_in_ms: delay }, `worker host died (${signal ?? `exit code ${code}`}); restarting`);
    this.opts.onCrash?.({ code, signal, tasks: lost.length });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.closing) this.start();
    }, delay);
  }

  private send(id: number): void {
    const run = this.runs.get(id);
    if (!run || run.sent) return;
    if (run.batch) {
      // The members still waiting (one may have been cancelled before a host was up) go as one batch.
      const ids = run.batch.filter((m) => this.runs.has(m));
      const members = ids.map((m) => this.runs.get(m)!);
      for (const m of members) m.sent = true;
      this.post({ type: 'runBatch', ids, taskType: run.taskType, members: members.map((m) => ({ ticketId: m.ticketId, params: m.params })) });
      return;
    }
    run.sent = true;
    this.post({ type: 'run', id, ticketId: run.ticketId, taskType: run.taskType, params: run.params });
  }

  private finish(id: number, res: WorkerResponse): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.resolve(res);
  }

  private post(msg: ToHost): void {
    // A host that just died cannot take the message; its exit handler settles what it held.
    if (this.child?.connected) this.child.send(msg);
  }
}
