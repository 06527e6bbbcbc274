/**
 * A parsed request body whose long strings live in the input store. In `value`, each such string
 * is a stand-in that validates like the original (see standIn()), so the ajv schemas apply
 * unchanged; after validation the caller turns the stand-ins it accepts into input references
 * (toRef) and either keeps the stored inputs (the task exists) or discards them.
 */
import { ApiError, badRequest } from '../../tasks/errors.js';
import { inputRef, parseInputRef, type InputStore } from '../../store/inputs/input-store.js';

/** One long string of the body, stored as an input. */
export interface Spill {
  id: string;
  /** SHA-256 of the string's UTF-8 bytes (what was stored); null when the reader did not hash. */
  sha256: string | null;
  bytes: number;
  /** Length in code points, as ajv counts it. */
  codePoints: number;
  /** The first bytes of the string. */
  head: string;
}

/**
 * Stand-ins are as long as the original up to this many code points: longer originals are cut to
 * it, which keeps every maxLength up to STAND_IN_CAP - 1 exact (the schemas' largest is 2048).
 */
export const STAND_IN_CAP = 64 * 1024 + 1;
const PAD = '\u0000'.repeat(STAND_IN_CAP);

export class SpilledBody {
  private kept = false;

  /**
   * `mark(i)`: the unforgeable text (it carries a random per-request nonce) that the skeleton
   * holds in place of string i; `value` has it replaced by stand-ins already.
   */
  constructor(
    readonly value: unknown,
    readonly spills: readonly Spill[],
    private readonly nonceMark: string,
    private readonly inputs: InputStore,
  ) {}

  /** The spill a value stands for: a stand-in of this body, or a reference made by toRef(). */
  spillOf(v: unknown): Spill | null {
    if (typeof v !== 'string') return null;
    const id = parseInputRef(v);
    if (id !== null) return this.spills.find((s) => s.id === id) ?? null;
    const at = v.indexOf(this.nonceMark);
    if (at < 0) return null;
    const end = v.indexOf('\u0000', at + this.nonceMark.length);
    return this.spills[Number(v.slice(at + this.nonceMark.length, end))] ?? null;
  }

  /** The input reference for a stand-in (what task params store). */
  toRef(v: unknown): string {
    const spill = this.spillOf(v);
    if (!spill) throw new TypeError('not a stand-in of this body');
    return inputRef(spill.id);
  }

  /**
   * Replaces the stand-ins of `fields` of `obj` by input references; a stand-in anywhere else
   * in `root` is refused (a long string where the schema has no length limit but the caller
   * cannot take a stored input). `where` names the object in messages, e.g. "task_params".
   */
  bindRefs(obj: Record<string, unknown>, fields: readonly string[], root: unknown, where: string): void {
    for (const f of fields) if (this.spillOf(obj[f])) obj[f] = this.toRef(obj[f]);
    const stray = this.findStandIn(root, '');
    if (stray !== null) throw badRequest('invalid_request', `${stray || where} is too long.`);
  }

  /** JSON with sorted keys, long strings as their content hash: equal for equal requests, however ordered or escaped. */
  fingerprint(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map((x) => this.fingerprint(x)).join(',')}]`;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${this.fingerprint(o[k])}`).join(',')}}`;
    }
    const spill = this.spillOf(v);
    if (spill && spill.sha256 === null) throw new Error('fingerprint() needs a body read with hashing on');
    return spill ? JSON.stringify(`\u0000sha256:${spill.sha256}`) : JSON.stringify(v) ?? 'null';
  }

  /**
   * The body with every stand-in replaced by its full string, read back from the input store,
   * which is then emptied: for callers that need the strings themselves (the compat APIs build
   * their own task parameters from them). The upload itself was still bounded like any other.
   */
  async materialize(): Promise<unknown> {
    try {
      const full = await Promise.all(this.spills.map(async (s) => (await this.inputs.read(s.id)).toString('utf8')));
      const walk = (x: unknown): unknown => {
        const spill = this.spillOf(x);
        if (spill) return full[this.spills.indexOf(spill)];
        if (Array.isArray(x)) {
          for (let i = 0; i < x.length; i++) x[i] = walk(x[i]);
        } else if (x && typeof x === 'object') {
          const o = x as Record<string, unknown>;
          for (const k of Object.keys(o)) o[k] = walk(o[k]);
        }
        return x;
      };
      return this.spills.length ? walk(this.value) : this.value;
    } finally {
      await this.discard();
    }
  }

  /** The task now refers to the stored inputs: discard() leaves them. */
  keep(): void {
    this.kept = true;
  }

  get isKept(): boolean {
    return this.kept;
  }

  /** Deletes the stored inputs unless kept (the request failed, or was a replay). */
  async discard(): Promise<void> {
    if (this.kept) return;
    await Promise.all(this.spills.map((s) => this.inputs.delete(s.id).catch(() => undefined)));
  }

  private findStandIn(v: unknown, path: string): string | null {
    if (typeof v === 'string') return v.includes(this.nonceMark) ? path : null;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = this.findStandIn(v[i], `${path}[${i}]`);
        if (p !== null) return p;
      }
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const p = this.findStandIn(x, path ? `${path}.${k}` : k);
        if (p !== null) return p;
      }
    }
    return null;
  }
}

/**
 * A string that validates like the original: it starts with the original's first bytes (so
 * start-anchored patterns such as the image-reference one see the real scheme), then the mark,
 * then padding up to the original's length in code points, capped at STAND_IN_CAP.
 */
export function standIn(spill: Spill, mark: string): string {
  const target = Math.min(spill.codePoints, STAND_IN_CAP);
  let head = spill.head;
  // A head never needs more than a quarter of the target (schemes, media types), and must leave room.
  const room = Math.max(0, target - mark.length);
  if ([...head].length > room) head = [...head].slice(0, room).join('');
  const len = [...head].length + mark.length;
  return head + mark + PAD.slice(0, Math.max(0, target - len));
}

/** Rebuilds `v` with the skeleton's marks replaced by stand-ins; refuses marks used as field names. */
export function insertStandIns(v: unknown, spills: readonly Spill[], mark: (i: number) => string, nonceMark: string): unknown {
  const marks = new Map(spills.map((s, i) => [mark(i), standIn(s, mark(i))]));
  // In place: a rebuilt object would turn a "__proto__" field into a prototype.
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return marks.get(x) ?? x;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) x[i] = walk(x[i]);
    } else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        if (k.includes(nonceMark)) throw new ApiError('invalid_request', `A field name in the body is over ${STAND_IN_CAP - 1} bytes long.`);
        o[k] = walk(o[k]);
      }
    }
    return x;
  };
  return spills.length ? walk(v) : v;
}
