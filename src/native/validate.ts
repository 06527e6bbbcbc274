/**
 * Argument checks shared by both kernel backends, so misuse throws the same TypeError
 * whichever implementation runs. The Rust addon checks types and lengths again as a
 * backstop for memory safety; these checks give the messages callers see.
 */
import { types } from 'node:util';
import type { Affine, Normalization } from './types.js';

/** Sizes fit in int32 so that products of two or three stay exact and usize-safe. */
const MAX_SIZE = 0x7fff_ffff;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}

export function checkSize(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE) {
    throw new TypeError(`${name} must be a non-negative integer below 2^31, got ${String(v)}`);
  }
  return v;
}

export function checkChannels(v: unknown, name: string, allowed: readonly number[]): number {
  if (typeof v !== 'number' || !allowed.includes(v)) {
    throw new TypeError(`${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  }
  return v;
}

export function checkFinite(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${name} must be a finite number, got ${String(v)}`);
  }
  return v;
}

export function checkBool(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(v)}`);
  return v;
}

// node:util/types also recognises arrays from other realms (vm contexts); Buffer counts as Uint8Array.
export function checkU8(v: unknown, name: string): Uint8Array {
  if (!types.isUint8Array(v)) throw new TypeError(`${name} must be a Uint8Array, got ${describe(v)}`);
  return v;
}

export function checkU16(v: unknown, name: string): Uint16Array {
  if (!types.isUint16Array(v)) throw new TypeError(`${name} must be a Uint16Array, got ${describe(v)}`);
  return v;
}

export function checkF32(v: unknown, name: string): Float32Array {
  if (!types.isFloat32Array(v)) throw new TypeError(`${name} must be a Float32Array, got ${describe(v)}`);
  return v;
}

export function checkLength(a: ArrayBufferView & { length: number }, expected: number, name: string): void {
  if (a.length !== expected) {
    throw new TypeError(`${name} has length ${a.length}, expected ${expected}`);
  }
}

/** True when two views share any byte of memory. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

export function checkDisjoint(out: ArrayBufferView, inputs: readonly ArrayBufferView[], name: string): void {
  for (const input of inputs) {
    if (overlaps(out, input)) throw new TypeError(`${name} must not share memory with an input`);
  }
}

function checkTriple(v: unknown, name: string): [number, number, number] {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TypeError(`${name} must be an array of 3 numbers`);
  const a = v as ArrayLike<unknown>;
  if (a.length !== 3) throw new TypeError(`${name} must have 3 entries, got ${a.length}`);
  return [checkFinite(a[0], `${name}[0]`), checkFinite(a[1], `${name}[1]`), checkFinite(a[2], `${name}[2]`)];
}

export interface CheckedNorm {
  mean: [number, number, number];
  std: [number, number, number];
  bgr: boolean;
}

export function checkNorm(v: unknown): CheckedNorm {
  if (typeof v !== 'object' || v === null) throw new TypeError(`norm must be an object, got ${describe(v)}`);
  const n = v as Partial<Normalization>;
  const mean = checkTriple(n.mean, 'norm.mean');
  const std = checkTriple(n.std, 'norm.std');
  if (std.includes(0)) throw new TypeError('norm.std must not contain 0');
  return { mean, std, bgr: checkBool(n.bgr, 'norm.bgr') };
}

export function checkAffine(v: unknown): Affine {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TypeError('m must be an array of 6 numbers');
  const a = v as ArrayLike<unknown>;
  if (a.length !== 6) throw new TypeError(`m must have 6 entries, got ${a.length}`);
  const m = Array.from({ length: 6 }, (_, i) => checkFinite(a[i], `m[${i}]`));
  return [m[0], m[1], m[2], m[3], m[4], m[5]];
}
