/** What an install looks like from outside: the state /events/models/:id streams and GET /models shows. */

export type InstallStatus = 'not_installed' | 'installing' | 'installed' | 'failed';

export interface InstallState {
  id: string;
  status: InstallStatus;
  /** The file being fetched or converted (relative to the model's folder), while installing. */
  file: string | null;
  /** Bytes of `file` on disk so far (a resumed download starts above 0). */
  received: number;
  /** Size of `file` when known, else 0. */
  total: number;
  /** 0–100 over `file`, or null when its size is unknown. */
  percent: number | null;
  files_done: number;
  files_total: number;
  /** Why the last install failed (status "failed"); no server paths. */
  error: string | null;
}

export function idleState(id: string, installed: boolean): InstallState {
  return { id, status: installed ? 'installed' : 'not_installed', file: null, received: 0, total: 0, percent: null, files_done: 0, files_total: 0, error: null };
}

export function isFinal(state: InstallState): boolean {
  return state.status !== 'installing';
}
