/** Property schemas that several task types share (bounds from CONTRACT.md), so each is written once. */
import type { PropertySchema } from './types.js';

export const text = (maxLength: number, minLength: number, description: string): PropertySchema =>
  ({ type: 'string', minLength, maxLength, description });

export const imageRef = (what: string): PropertySchema => ({
  type: 'string',
  minLength: 1,
  pattern: '^(?:[hH][tT][tT][pP][sS]?://|[dD][aA][tT][aA]:)',
  description: `${what}: an http(s) URL or a data: URI`,
});

export const SEED_MAX = 4294967295;

export const seed: PropertySchema = {
  type: 'integer', minimum: 0, maximum: SEED_MAX,
  description: 'random seed (the same seed, parameters and model give the same result); default: random, reported in the result',
};

export const modelId = (taskType: string): PropertySchema => ({
  type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
  description: `id of an installed model for ${taskType} (GET /ready lists them); default: the first installed in preference order`,
});
