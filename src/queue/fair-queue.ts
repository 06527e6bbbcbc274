/**
 * Per-user round-robin queue. Each user has a FIFO of tickets; claims rotate across users
 * with queued work, so a user with 500 queued tasks delays another user's first task by at
 * most one task per worker. Pure data structure: persistence is the TaskStore's job (this
 * queue is rebuilt from it on start).
 *
 * Tickets may carry a batch key (pipelines/batch-key.ts): takeCompatible() fills a cross-request
 * batch in the order the rotation would serve next, so a batch never lets one user jump others.
 */
import type { BatchKey } from '../pipelines/batch-key.js';

interface UserLane {
  user: string;
  tickets: string[];
  /** Index of the first live ticket (shift() on big arrays is O(n)). */
  head: number;
  /**
   * Where each ticket sits in `tickets`, so position() is not a scan of a long lane on every
   * query_task. Kept up to date by appends and head moves (the common case); anything that
   * shifts the array (a cancel, a batch member taken out of turn, compaction) drops it, and the
   * next position() rebuilds it once. Null until a position is first asked for: a lane nobody
   * polls costs its submits nothing.
   */
  at: Map<string, number> | null;
}

export interface QueueEntry {
  ticketId: string;
  userId: string;
  /** Its batch key, if it may share a UNet batch with other tasks. */
  batch?: BatchKey;
}

export class FairQueue {
  /** Users with queued work, in rotation order; `cursor` is the next to be served. */
  private readonly ring: UserLane[] = [];
  private readonly lanes = new Map<string, UserLane>();
  private readonly owner = new Map<string, string>();
  private readonly batches = new Map<string, BatchKey>();
  private cursor = 0;

  get size(): number {
    return this.owner.size;
  }

  sizeOf(userId: string): number {
    const lane = this.lanes.get(userId);
    return lane ? lane.tickets.length - lane.head : 0;
  }

  has(ticketId: string): boolean {
    return this.owner.has(ticketId);
  }

  push(ticketId: string, userId: string, batch?: BatchKey | null): void {
    if (this.owner.has(ticketId)) return;
    const lane = this.laneOf(userId);
    lane.at?.set(ticketId, lane.tickets.length);
    lane.tickets.push(ticketId);
    this.owner.set(ticketId, userId);
    if (batch) this.batches.set(ticketId, batch);
  }

  /** Back at the front of its user's lane: an interrupted task was that user's oldest work. */
  pushFront(ticketId: string, userId: string, batch?: BatchKey | null): void {
    if (this.owner.has(ticketId)) return;
    if (batch) this.batches.set(ticketId, batch);
    const lane = this.laneOf(userId);
    if (lane.head > 0) {
      lane.tickets[--lane.head] = ticketId;
      lane.at?.set(ticketId, lane.head);
    } else {
      lane.tickets.unshift(ticketId);
      lane.at = null;
    }
    this.owner.set(ticketId, userId);
  }

  private laneOf(userId: string): UserLane {
    let lane = this.lanes.get(userId);
    if (!lane) {
      lane = { user: userId, tickets: [], head: 0, at: null };
      this.lanes.set(userId, lane);
      // A newcomer joins just before the cursor: it is served after everyone currently waiting
      // had one turn, which is the round-robin promise, and never jumps the queue.
      this.ring.splice(this.cursor, 0, lane);
      this.cursor = (this.cursor + 1) % this.ring.length;
      if (this.ring.length === 1) this.cursor = 0;
    }
    return lane;
  }

  /** Next ticket in fair order, removed from the queue. */
  shift(): QueueEntry | null {
    if (this.ring.length === 0) return null;
    const lane = this.ring[this.cursor];
    return this.serve(this.cursor, lane.head);
  }

  /**
   * Cross-request batching: after shift() served a ticket with batch key `key`, takes further
   * tickets with that key, `room` images at most, in the order the rotation serves users next.
   * Each turn goes to the first user in rotation order with a compatible ticket among the first
   * `scan` of its lane; that user goes to the back of the rotation as shift() does, and users
   * passed over (nothing compatible) keep their place.
   */
  takeCompatible(key: string, room: number, scan = 8): QueueEntry[] {
    const out: QueueEntry[] = [];
    while (room > 0) {
      const at = this.findCompatible(key, room, scan);
      if (!at) break;
      const entry = this.serve(at[0], at[1]);
      room -= entry.batch?.images ?? 1;
      out.push(entry);
    }
    return out;
  }

  /** Images of queued tickets with batch key `key` (how much a waiting batch could still gain). */
  compatibleImages(key: string): number {
    let n = 0;
    for (const b of this.batches.values()) if (b.key === key) n += b.images;
    return n;
  }

  private findCompatible(key: string, room: number, scan: number): [number, number] | null {
    for (let j = 0; j < this.ring.length; j++) {
      const p = (this.cursor + j) % this.ring.length;
      const lane = this.ring[p];
      for (let i = lane.head; i < Math.min(lane.tickets.length, lane.head + scan); i++) {
        const b = this.batches.get(lane.tickets[i]);
        if (b && b.key === key && b.images <= room) return [p, i];
      }
    }
    return null;
  }

  /** Removes ticket `i` of the lane at ring index `p`; that user goes to the back of the rotation. */
  private serve(p: number, i: number): QueueEntry {
    const lane = this.ring[p];
    const ticketId = lane.tickets[i];
    if (i === lane.head) {
      lane.head++;
      lane.at?.delete(ticketId);
    } else {
      lane.tickets.splice(i, 1);
      lane.at = null;
    }
    this.owner.delete(ticketId);
    const batch = this.batches.get(ticketId);
    this.batches.delete(ticketId);
    if (lane.head === lane.tickets.length) {
      this.dropLane(p);
    } else {
      this.compact(lane);
      if (p !== this.cursor) {
        // Served out of turn (a batch member): behind everyone else, at the slot just before the
        // cursor; the users passed over keep their place.
        this.ring.splice(p, 1);
        if (p < this.cursor) this.cursor--;
        this.ring.splice(this.cursor, 0, lane);
      }
      this.cursor = (this.cursor + 1) % this.ring.length;
    }
    return batch ? { ticketId, userId: lane.user, batch } : { ticketId, userId: lane.user };
  }

  /** Remove a queued ticket (cancel); false if it was not queued. */
  remove(ticketId: string): boolean {
    const userId = this.owner.get(ticketId);
    if (userId === undefined) return false;
    const lane = this.lanes.get(userId)!;
    const idx = lane.at?.get(ticketId) ?? lane.tickets.indexOf(ticketId, lane.head);
    lane.tickets.splice(idx, 1);
    lane.at = null;
    this.owner.delete(ticketId);
    this.batches.delete(ticketId);
    if (lane.head === lane.tickets.length) this.dropLane(this.ring.indexOf(lane));
    return true;
  }

  /**
   * 0-based number of tasks that will be claimed before this one if nothing else changes:
   * its own lane's earlier tickets plus, from every other lane, as many as get a turn
   * before it in the rotation.
   */
  position(ticketId: string): number | null {
    const userId = this.owner.get(ticketId);
    if (userId === undefined) return null;
    const lane = this.lanes.get(userId)!;
    const k = this.indexIn(lane, ticketId) - lane.head;
    const myRank = (this.ring.indexOf(lane) - this.cursor + this.ring.length) % this.ring.length;
    let ahead = k;
    this.ring.forEach((other, i) => {
      if (other === lane) return;
      const rank = (i - this.cursor + this.ring.length) % this.ring.length;
      const turns = k + (rank < myRank ? 1 : 0);
      ahead += Math.min(other.tickets.length - other.head, turns);
    });
    return ahead;
  }

  private indexIn(lane: UserLane, ticketId: string): number {
    if (!lane.at) {
      lane.at = new Map();
      for (let i = lane.head; i < lane.tickets.length; i++) lane.at.set(lane.tickets[i], i);
    }
    return lane.at.get(ticketId)!;
  }

  private dropLane(index: number): void {
    const [lane] = this.ring.splice(index, 1);
    this.lanes.delete(lane.user);
    if (this.ring.length === 0) this.cursor = 0;
    else if (index < this.cursor) this.cursor--;
    else if (this.cursor >= this.ring.length) this.cursor = 0;
  }

  private compact(lane: UserLane): void {
    if (lane.head > 1024 && lane.head * 2 > lane.tickets.length) {
      lane.tickets = lane.tickets.slice(lane.head);
      lane.head = 0;
      lane.at = null;
    }
  }
}
