/**
 * The synchronous compat calls this node is holding open, by caller. A1111's progress,
 * interrupt and skip act on these: the caller's own tasks, never another user's (A1111's
 * interrupt is global, a known complaint on shared servers).
 */
export interface ActiveCall {
  user: string;
  /** In submission order; a call owns only these. */
  tickets: string[];
  startedAt: number;
}

export class ActiveCalls {
  private readonly byUser = new Map<string, Set<ActiveCall>>();

  add(call: ActiveCall): void {
    let set = this.byUser.get(call.user);
    if (!set) this.byUser.set(call.user, (set = new Set()));
    set.add(call);
  }

  remove(call: ActiveCall): void {
    const set = this.byUser.get(call.user);
    set?.delete(call);
    if (set?.size === 0) this.byUser.delete(call.user);
  }

  /** The caller's open calls, oldest first. */
  of(user: string): ActiveCall[] {
    return [...(this.byUser.get(user) ?? [])].sort((a, b) => a.startedAt - b.startedAt);
  }
}
