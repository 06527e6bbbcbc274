/**
 * Typed reads of task_params inside parse. The schema has checked the values at the door, so
 * these only tell "left out" (undefined: the caller applies its default) from "given", and refuse
 * a value of the wrong type instead of quietly replacing it with a default: a pipeline called
 * directly (tests, bench) with a bad value fails with a message naming the field.
 */
import { TaskError } from '../../tasks/task-errors.js';
import type { TaskParams } from './types.js';

function wrong(field: string, expected: string, value: unknown): TaskError {
  return new TaskError(`task_params.${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, 'invalid_params');
}

export function optionalInt(params: TaskParams, field: string): number | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrong(field, 'an integer', v);
  return v;
}

export function optionalNumber(params: TaskParams, field: string): number | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong(field, 'a number', v);
  return v;
}

export function optionalString(params: TaskParams, field: string): string | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw wrong(field, 'a string', v);
  return v;
}

export function requiredString(params: TaskParams, field: string): string {
  const v = optionalString(params, field);
  if (v === undefined) throw new TaskError(`task_params.${field} is required`, 'invalid_params');
  return v;
}

export function optionalOneOf<T extends string>(params: TaskParams, field: string, values: readonly T[]): T | undefined {
  const v = params[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw wrong(field, `one of ${values.join(', ')}`, v);
  return v as T;
}
