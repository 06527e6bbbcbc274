/**
 * Per-user round-robin queue. Each user has a FIFO of tickets; claims rotate across users
 * with queued work, so a user with 500 queued tasks delays another user's first task by at
 * most one task per worker. Pure data structure: persistence is the TaskStore's job (this
 * queue is rebuilt from it on start).
 */

interface UserLane {
  user: string;
  tickets: string[];
  /** Index of the first live ticket (shift() on big arrays is O(n)). */
  head: number;
}

export interface QueueEntry {
  ticketId: string;
  userId: string;
}

export class FairQueue {
  /** Users with queued work, in rotation order; `cursor` is the next to be served. */
  private readonly ring: UserLane[] = [];
  private readonly lanes = new Map<string, UserLane>();
  private readonly owner = new Map<string, string>();
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

  push(ticketId: string, userId: string): void {
    if (this.owner.has(ticketId)) return;
    this.laneOf(userId).tickets.push(ticketId);
    this.owner.set(ticketId, userId);
  }

  /** Back at the front of its user's lane: an interrupted task was that user's oldest work. */
  pushFront(ticketId: string, userId: string): void {
    if (this.owner.has(ticketId)) return;
    const lane = this.laneOf(userId);
    if (lane.head > 0) lane.tickets[--lane.head] = ticketId;
    else lane.tickets.unshift(ticketId);
    this.owner.set(ticketId, userId);
  }

  private laneOf(userId: string): UserLane {
    let lane = this.lanes.get(userId);
    if (!lane) {
      lane = { user: userId, tickets: [], head: 0 };
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
    const ticketId = lane.tickets[lane.head++];
    this.owner.delete(ticketId);
    if (lane.head === lane.tickets.length) {
      this.dropLane(this.cursor);
    } else {
      this.compact(lane);
      this.cursor = (this.cursor + 1) % this.ring.length;
    }
    return { ticketId, userId: lane.user };
  }

  /** Remove a queued ticket (cancel); false if it was not queued. */
  remove(ticketId: string): boolean {
    const userId = this.owner.get(ticketId);
    if (userId === undefined) return false;
    const lane = this.lanes.get(userId)!;
    const idx = lane.tickets.indexOf(ticketId, lane.head);
    lane.tickets.splice(idx, 1);
    this.owner.delete(ticketId);
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
    const k = lane.tickets.indexOf(ticketId, lane.head) - lane.head;
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
    }
  }
}
