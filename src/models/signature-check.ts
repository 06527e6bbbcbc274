/**
 * Compares a session's declared inputs/outputs with the manifest's expected signature. Inputs
 * must match exactly (an extra input would be left unfed; a missing one means a different
 * export); outputs only need to contain the listed ones. A dtype may list alternatives ("a|b")
 * where exports differ, e.g. the UNet timestep.
 */
import type { SessionSignature, ValueSignature } from '../runtime/signature.js';
import type { TensorSpec } from './types.js';

export interface ExpectedSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function checkOne(kind: string, spec: TensorSpec, actual: ValueSignature | undefined): string[] {
  if (!actual) return [`missing ${kind} "${spec.name}"`];
  const problems: string[] = [];
  if (!spec.dtype.split('|').includes(actual.type)) problems.push(`${kind} "${spec.name}" is ${actual.type}, expected ${spec.dtype}`);
  if (actual.shape.length !== spec.rank) problems.push(`${kind} "${spec.name}" has rank ${actual.shape.length}, expected ${spec.rank}`);
  return problems;
}

export function signatureProblems(expected: ExpectedSignature, actual: SessionSignature): string[] {
  const problems: string[] = [];
  const inputs = new Map(actual.inputs.map((v) => [v.name, v]));
  const outputs = new Map(actual.outputs.map((v) => [v.name, v]));
  for (const spec of expected.inputs) problems.push(...checkOne('input', spec, inputs.get(spec.name)));
  const known = new Set(expected.inputs.map((s) => s.name));
  for (const v of actual.inputs) if (!known.has(v.name)) problems.push(`unexpected input "${v.name}"`);
  for (const spec of expected.outputs) problems.push(...checkOne('output', spec, outputs.get(spec.name)));
  return problems;
}
