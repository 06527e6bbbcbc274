/** A1111 `<lora:name:weight>` prompt tags → image_creation `loras`, the rest of the prompt unchanged. */
import { describe, expect, it } from 'vitest';
import { takeLoraTags } from '../../src/compat/a1111/lora-tags.js';
import { planTxt2img } from '../../src/compat/a1111/txt2img-plan.js';

describe('A1111 LoRA prompt tags', () => {
  it('takes tags out of the prompt with their weights (default 1), summing a repeated name', () => {
    expect(takeLoraTags('a cat <lora:pixel-art:0.7>, night <LORA:ink> <lora:pixel-art:0.1>')).toEqual({
      prompt: 'a cat , night', loras: [{ name: 'pixel-art', weight: 0.7999999999999999 }, { name: 'ink', weight: 1 }], notes: [],
    });
    expect(takeLoraTags('plain prompt  with spaces')).toEqual({ prompt: 'plain prompt  with spaces', loras: [], notes: [] });
  });

  it('notes what it cannot honour: split weights, a weight that is not a number, hypernetworks', () => {
    const t = takeLoraTags('x <lora:a:0.5:0.2> <lora:b:heavy> <hypernet:h:1>');
    expect(t.loras).toEqual([{ name: 'a', weight: 0.5 }]);
    expect(t.notes).toHaveLength(3);
    expect(t.prompt).toBe('x <hypernet:h:1>');
  });

  it('planTxt2img puts the tags into task_params.loras of every request', () => {
    const plan = planTxt2img({ prompt: 'a fox <lora:style:0.5>', batch_size: 2 }, { installed: ['sd-turbo'], userCheckpoint: null, maxImages: 8 });
    for (const r of plan.requests) expect(r.task_params).toMatchObject({ prompt: 'a fox', loras: [{ name: 'style', weight: 0.5 }] });
    expect(planTxt2img({ prompt: 'a fox' }, { installed: [], userCheckpoint: null, maxImages: 8 }).requests[0].task_params.loras).toBeUndefined();
  });
});
