/** The error catalogue is the one list: the README's table and the OpenAPI enum must say the same. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { ApiError, ERROR_CATALOGUE, ERROR_CODES, REQUEST_ERROR_CODES } from '../../src/tasks/errors.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('error catalogue', () => {
  it('is listed in the README table, code by code, with its status and place', () => {
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (request|task|both|compat) \|/gm)]
      .map((m) => ({ code: m[1], status: Number(m[2]), where: m[3] }));
    expect(rows).toEqual(ERROR_CODES.map((code) => ({ code, status: ERROR_CATALOGUE[code].status, where: ERROR_CATALOGUE[code].where })));
  });

  it('is the OpenAPI error enum (request codes only)', () => {
    const doc = buildOpenApi({ version: 't', authRequired: false }) as { components: { schemas: { Error: { properties: { error: { enum: string[] } } } } } };
    expect(doc.components.schemas.Error.properties.error.enum).toEqual(REQUEST_ERROR_CODES);
    expect(REQUEST_ERROR_CODES).toContain('internal_error');
    expect(REQUEST_ERROR_CODES).not.toContain('worker_crashed');
    expect(REQUEST_ERROR_CODES).not.toContain('model_not_found');
  });

  it('gives an ApiError the status of its code', () => {
    expect(new ApiError('queue_full', 'x').status).toBe(429);
    expect(new ApiError('unsupported_media_type', 'x').status).toBe(415);
  });
});
