/** A1111's face-restorer fields of extra-single-image → image_upscale's face_enhance. */
import { describe, expect, it } from 'vitest';
import { planExtras } from '../../src/compat/a1111/extras-plan.js';

const image = 'iVBORw0KGgo=';
const plan = (extra: Record<string, unknown>, enhancers: string[]) => planExtras({ image, ...extra }, ['realesrgan-x4fast'], enhancers);

describe('A1111 face restorers', () => {
  it('codeformer_visibility + codeformer_weight → CodeFormer at that blend and fidelity', () => {
    const p = plan({ codeformer_visibility: 0.6, codeformer_weight: 0.25 }, ['gfpgan-1.4', 'codeformer']);
    expect(p.request.task_params.face_enhance).toEqual({ model: 'codeformer', blend: 0.6, fidelity: 0.25 });
    expect(p.notes).toEqual([]);
  });

  it('both asked: the more visible one runs and the other is noted; none asked or 0: no face_enhance', () => {
    const p = plan({ gfpgan_visibility: 0.3, codeformer_visibility: 0.9 }, ['gfpgan-1.4', 'codeformer']);
    expect(p.request.task_params.face_enhance).toEqual({ model: 'codeformer', blend: 0.9, fidelity: 0.5 });
    expect(p.notes).toEqual(['gfpgan_visibility was not applied: one face restorer runs per image here (codeformer_visibility did)']);
    expect(plan({ gfpgan_visibility: 0 }, ['gfpgan-1.4']).request.task_params).not.toHaveProperty('face_enhance');
    expect(plan({}, ['gfpgan-1.4']).request.task_params).not.toHaveProperty('face_enhance');
  });

  it('a restorer that is not installed is noted and not asked for (the task would be refused)', () => {
    const p = plan({ gfpgan_visibility: 1 }, []);
    expect(p.request.task_params).not.toHaveProperty('face_enhance');
    expect(p.notes).toEqual(['gfpgan_visibility: the face restorer gfpgan-1.4 is not installed here']);
  });
});
