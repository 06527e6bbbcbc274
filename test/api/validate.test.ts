/** Validation messages name the field plainly: `user_id …`, `task_params.scale_factor …`. */
import { describe, expect, it } from 'vitest';
import { RequestValidator } from '../../src/api/validate.js';
import { ApiError } from '../../src/tasks/errors.js';

const validator = new RequestValidator();

function messageOf(body: unknown): string {
  try {
    validator.submitBody(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).message;
  }
  throw new Error('expected a validation error');
}

describe('validation messages', () => {
  it('name a top-level field without a leading dot', () => {
    const msg = messageOf({ task_type: 'image_upscale', task_params: { image_url: 'data:image/png;base64,AA' }, user_id: 7 });
    expect(msg).toMatch(/^user_id /);
  });

  it('name a nested field with its full path', () => {
    const msg = messageOf({ task_type: 'image_upscale', task_params: { image_url: 'data:image/png;base64,AA', scale_factor: 9 }, user_id: 'u' });
    expect(msg).toMatch(/^task_params\.scale_factor /);
  });
});
