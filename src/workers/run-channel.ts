/**
 * The pool's one side channel to its worker threads: progress and batch outcomes flow out, cancel
 * flows in, while a worker's main promise is busy (which Piscina's request/response channel cannot
 * carry). One BroadcastChannel per pool, opened once, with every message naming its run, replaces
 * a MessageChannel made, transferred and closed for every run (tens of µs of a no-op round trip).
 *
 * A cancel posted before the worker has started the run would find no one listening, so cancel is
 * also a flag in the run's shared gate: the worker registers the run and then reads the flag, the
 * pool sets the flag and then posts, so one of them always sees the other (as in native-gate.ts).
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel, workerData } from 'node:worker_threads';
import type { ChannelMessage, PoolWorkerData, WorkerEvent } from './messages.js';

/** Gate slot of the cancel flag of a single run; a batch member i uses CANCEL_SLOT + i. Slots 0 and 1 are native-gate.ts's. */
export const CANCEL_SLOT = 2;

/** A run's shared gate: the two native-gate slots and one cancel flag per member. */
export function newGate(members = 1): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (CANCEL_SLOT + members)));
}

/** Pool side (main thread, or a worker host's main thread). */
export class PoolChannel {
  /** Unique per pool: two pools in one process (tests, hosts) never hear each other. */
  readonly name = `backserv-pool-${randomUUID()}`;
  private readonly channel = new BroadcastChannel(this.name);
  private readonly listeners = new Map<number, (ev: WorkerEvent) => void>();
  private nextRun = 1;

  constructor() {
    this.channel.onmessage = (e) => {
      const msg = (e as { data: ChannelMessage }).data;
      if (msg.type !== 'cancel') this.listeners.get(msg.run)?.(msg);
    };
    // The pool's threads keep the process alive while they work; the channel alone must not.
    this.channel.unref();
  }

  /** A new run id whose events go to `listener` until `release`. */
  open(listener: (ev: WorkerEvent) => void): number {
    const run = this.nextRun++;
    this.listeners.set(run, listener);
    return run;
  }

  /** Events of a finished run that arrive late are dropped (as a closed port dropped them). */
  release(run: number): void {
    this.listeners.delete(run);
  }

  cancel(run: number, gate: Int32Array, slot: number): void {
    Atomics.store(gate, slot, 1);
    this.channel.postMessage({ type: 'cancel', run } satisfies ChannelMessage);
  }

  close(): void {
    this.channel.close();
  }
}

/** Worker side: one channel per thread, opened on the first run. */
let workerChannel: BroadcastChannel | null = null;
const cancels = new Map<number, () => void>();

function channel(): BroadcastChannel {
  if (workerChannel) return workerChannel;
  const ch = new BroadcastChannel((workerData as PoolWorkerData).channel);
  ch.onmessage = (e) => {
    const msg = (e as { data: ChannelMessage }).data;
    if (msg.type === 'cancel') cancels.get(msg.run)?.();
  };
  ch.unref();
  workerChannel = ch;
  return ch;
}

/**
 * Listens for the run's cancel: `onCancel` runs once, on the pool's message or at once if the pool
 * had already asked. Returns the function that stops listening (call it when the run ends).
 */
export function watchCancel(run: number, gate: Int32Array, slot: number, onCancel: () => void): () => void {
  channel();
  let fired = false;
  const fire = () => {
    if (fired) return;
    fired = true;
    onCancel();
  };
  cancels.set(run, fire);
  if (Atomics.load(gate, slot) !== 0) fire();
  return () => { cancels.delete(run); };
}

/** Worker → pool: an event of `run`. */
export function report(run: number, ev: WorkerEvent): void {
  channel().postMessage({ ...ev, run } satisfies ChannelMessage);
}
