/**
 * Every reference value of design/MODELS.md §2 (computed there in float64 from the diffusers
 * formulas). The printed values carry six significant digits, so agreement is checked to
 * 1e-5 relative.
 */
import { describe, expect, it } from 'vitest';
import {
  DdimScheduler,
  EulerAncestralScheduler,
  EulerScheduler,
  LcmScheduler,
  alphasCumprod,
  createScheduler,
  getGuidanceScaleEmbedding,
  resolveSchedulerConfig,
  sigmasFromAlphas,
} from '../../src/pipelines/image-creation/schedulers/index.js';

function expectClose(actual: ArrayLike<number>, expected: readonly number[], rel = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const tol = e === 0 ? 1e-12 : rel * Math.abs(e);
    if (!(Math.abs(actual[i] - e) <= tol)) {
      throw new Error(`element ${i}: ${actual[i]} differs from ${e} by more than ${tol}`);
    }
  }
}

const SD = resolveSchedulerConfig('euler', {});

describe('noise schedule (scaled_linear 0.00085–0.012)', () => {
  const ac = alphasCumprod(SD);
  const sigmas = sigmasFromAlphas(ac);
  it('ᾱ and σ at the ends', () => {
    expectClose([ac[0], ac[1], ac[999]], [0.99915, 0.998296, 0.0046601]);
    expectClose([sigmas[0], sigmas[999]], [0.0291672, 14.6146]);
  });
});

describe('Euler timesteps and sigmas', () => {
  const cases = [
    { spacing: 'trailing', steps: 1, offset: 0, timesteps: [999], sigmas: [14.6146, 0] },
    { spacing: 'trailing', steps: 2, offset: 0, timesteps: [999, 499], sigmas: [14.6146, 1.61289, 0] },
    { spacing: 'trailing', steps: 3, offset: 0, timesteps: [999, 666, 332], sigmas: [14.6146, 2.91831, 0.929215, 0] },
    { spacing: 'trailing', steps: 4, offset: 0, timesteps: [999, 749, 499, 249], sigmas: [14.6146, 4.08173, 1.61289, 0.693205, 0] },
    { spacing: 'leading', steps: 4, offset: 1, timesteps: [751, 501, 251, 1], sigmas: [4.1167, 1.62369, 0.698398, 0.0413144, 0] },
    { spacing: 'linspace', steps: 4, offset: 0, timesteps: [999, 666, 333, 0], sigmas: [14.6146, 2.91831, 0.932358, 0.0291672, 0] },
  ] as const;

  it.each(cases)('$spacing, $steps steps, offset $offset', ({ spacing, steps, offset, timesteps, sigmas }) => {
    for (const name of ['euler', 'euler_a'] as const) {
      const s = createScheduler(name, { timestep_spacing: spacing, steps_offset: offset }) as EulerScheduler | EulerAncestralScheduler;
      s.setTimesteps(steps);
      expect(Array.from(s.timesteps)).toEqual(timesteps);
      expectClose(s.sigmas, sigmas);
    }
  });

  it('init_noise_sigma and σ₀ for leading, 50 steps', () => {
    const s = createScheduler('euler', { timestep_spacing: 'leading', steps_offset: 1 }) as EulerScheduler;
    s.setTimesteps(50);
    expectClose([s.sigmas[0], s.initNoiseSigma], [13.1204, 13.1585]);
  });

  it('init_noise_sigma is σ_max for trailing and linspace', () => {
    for (const spacing of ['trailing', 'linspace'] as const) {
      const s = createScheduler('euler', { timestep_spacing: spacing });
      s.setTimesteps(4);
      expectClose([s.initNoiseSigma], [14.6146]);
    }
  });

  it('one trailing step of 4 with x = 1, ε = 0.5', () => {
    const s = createScheduler('euler', { timestep_spacing: 'trailing' });
    s.setTimesteps(4);
    const out = new Float32Array(1);
    s.step(new Float32Array([0.5]), 0, new Float32Array([1]), out);
    expectClose(out, [-4.266456]);
  });

  it('SD-Turbo: one step from σ_max gives x − 14.6146·ε, the same for Euler and Euler a', () => {
    const x = new Float32Array([0.3, -1.2, 2]);
    const eps = new Float32Array([0.5, -0.25, 0.1]);
    const expected = Array.from(x, (v, i) => Math.fround(v) - 14.614641229 * Math.fround(eps[i]));
    for (const name of ['euler', 'euler_a'] as const) {
      const s = createScheduler(name, { timestep_spacing: 'trailing', steps_offset: 1 });
      s.setTimesteps(1);
      expect(Array.from(s.timesteps)).toEqual([999]);
      const out = new Float32Array(3);
      s.step(eps, 0, x, out, () => {
        throw new Error('the last step must not draw noise');
      });
      expectClose(out, expected);
    }
  });
});

describe('Euler ancestral, trailing, 4 steps', () => {
  const s = createScheduler('euler_a', { timestep_spacing: 'trailing' }) as EulerAncestralScheduler;
  s.setTimesteps(4);

  it('σ_up, σ_down and the input scale', () => {
    expectClose(s.sigmaUp, [3.9193, 1.48163, 0.625914, 0]);
    expectClose(s.sigmaDown, [1.13999, 0.637328, 0.297934, 0]);
    const scales: number[] = [];
    const out = new Float32Array(1);
    for (let i = 0; i < 4; i++) {
      s.scaleModelInput(new Float32Array([1]), i, out);
      scales.push(out[0]);
    }
    expectClose(scales, [0.0682649, 0.237957, 0.526944, 0.821847]);
  });

  it('adds σ_up times the drawn noise', () => {
    const out = new Float32Array(1);
    const quiet = new Float32Array(1);
    s.step(new Float32Array([0.5]), 0, new Float32Array([1]), quiet, () => 0);
    s.step(new Float32Array([0.5]), 0, new Float32Array([1]), out, () => 1);
    expectClose([out[0] - quiet[0]], [3.9193], 1e-5);
    // deterministic part: x + ε·(σ_down − σ) = 1 + 0.5·(1.13999 − 14.6146)
    expectClose([quiet[0]], [1 + 0.5 * (1.1399879297 - 14.6146412293)]);
    expect(() => s.step(new Float32Array([0.5]), 0, new Float32Array([1]), out)).toThrow(/noise source/);
  });
});

describe('DDIM (η = 0)', () => {
  const config = { timestep_spacing: 'leading', steps_offset: 1, set_alpha_to_one: false, clip_sample: false } as const;

  it('50 steps, leading, offset 1: timesteps and two steps with x = 1, ε = 0.5', () => {
    const s = createScheduler('ddim', config) as DdimScheduler;
    s.setTimesteps(50);
    expect(s.timesteps.length).toBe(50);
    expect(Array.from(s.timesteps.slice(0, 5))).toEqual([981, 961, 941, 921, 901]);
    expect(Array.from(s.timesteps.slice(-3))).toEqual([41, 21, 1]);
    expect(s.initNoiseSigma).toBe(1);

    const ac = s.alphasCumprod;
    const x0 = (1 - Math.sqrt(1 - ac[981]) * 0.5) / Math.sqrt(ac[981]);
    expectClose([x0], [6.598259]);
    const out = new Float32Array(1);
    s.step(new Float32Array([0.5]), 0, new Float32Array([1]), out);
    expectClose(out, [1.061226]);
    // last step: t = 1, ᾱ_prev = ᾱ[0] since set_alpha_to_one is false
    s.step(new Float32Array([0.5]), 49, new Float32Array([1]), out);
    expectClose(out, [0.9943566]);
  });

  it('linspace, 25 steps, starts 999, 957, 916, 874, 832', () => {
    const s = createScheduler('ddim', { timestep_spacing: 'linspace' });
    s.setTimesteps(25);
    expect(Array.from(s.timesteps.slice(0, 5))).toEqual([999, 957, 916, 874, 832]);
  });

  it('img2img add_noise is √ᾱ·x0 + √(1−ᾱ)·noise', () => {
    const s = createScheduler('ddim', config) as DdimScheduler;
    s.setTimesteps(50);
    const out = new Float32Array(1);
    s.addNoise(new Float32Array([2]), new Float32Array([-1]), 10, out);
    const a = s.alphasCumprod[s.timesteps[10]];
    expectClose(out, [Math.sqrt(a) * 2 - Math.sqrt(1 - a)]);
  });
});

describe('LCM', () => {
  it('timesteps from the 50-step distillation schedule', () => {
    const s = createScheduler('lcm') as LcmScheduler;
    s.setTimesteps(4);
    expect(Array.from(s.timesteps)).toEqual([999, 759, 499, 259]);
    s.setTimesteps(1);
    expect(Array.from(s.timesteps)).toEqual([999]);
    expect(() => s.setTimesteps(51)).toThrow(/inference steps/);
  });

  it('boundary scalings at t = 999', () => {
    const s = createScheduler('lcm') as LcmScheduler;
    expectClose([s.cSkip(999)], [2.505e-9], 1e-4);
    expectClose([s.cOut(999)], [1]);
    expect(s.cSkip(0)).toBe(1);
    expect(s.cOut(0)).toBe(0);
  });

  it('re-noises between steps and returns denoised on the last step', () => {
    const s = createScheduler('lcm') as LcmScheduler;
    s.setTimesteps(4);
    const ac = s.alphasCumprod;
    const x = new Float32Array([0.7]);
    const eps = new Float32Array([0.2]);
    const out = new Float32Array(1);
    const denoised = (t: number) => s.cOut(t) * ((0.7 - Math.sqrt(1 - ac[t]) * 0.2) / Math.sqrt(ac[t])) + s.cSkip(t) * 0.7;
    s.step(eps, 0, x, out, () => 1.5);
    expectClose(out, [Math.sqrt(ac[759]) * denoised(999) + Math.sqrt(1 - ac[759]) * 1.5]);
    s.step(eps, 3, x, out, () => {
      throw new Error('no noise on the last step');
    });
    expectClose(out, [denoised(259)]);
  });

  it('guidance-scale embedding matches diffusers (float32) for w = 7.5', () => {
    const e = getGuidanceScaleEmbedding(7.5, 256);
    expect(e.length).toBe(256);
    // values printed by diffusers' get_guidance_scale_embedding(torch.tensor([7.5]), 256)
    const at = [0, 1, 2, 10, 50, 100, 127, 128, 129, 200, 255];
    const torch = [
      -0.8512359261512756, 0.8421311974525452, 0.011876258999109268, -0.05924666300415993, -0.9882062673568726,
      -0.8241929411888123, 0.6816387176513672, -0.5247832536697388, 0.5392727255821228, -0.9390370845794678,
      0.731688916683197,
    ];
    expectClose(at.map((i) => e[i]), torch, 1e-6);
    // the lowest frequency is 1e-4: sin(7500·1e-4)
    expectClose([e[127], e[255]], [Math.sin(0.75), Math.cos(0.75)], 1e-6);
  });
});

describe('scheduler config', () => {
  it('follows diffusers defaults per class for missing keys', () => {
    expect(resolveSchedulerConfig('euler', {}).timestep_spacing).toBe('linspace');
    expect(resolveSchedulerConfig('ddim', {}).timestep_spacing).toBe('leading');
    expect(resolveSchedulerConfig('ddim', {}).clip_sample).toBe(true);
    const turbo = resolveSchedulerConfig('euler', {
      _class_name: 'EulerDiscreteScheduler',
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      steps_offset: 1,
      timestep_spacing: 'trailing',
    });
    expect(turbo).toMatchObject({ timestep_spacing: 'trailing', steps_offset: 1, prediction_type: 'epsilon' });
  });

  it('rejects values it would otherwise silently misread', () => {
    expect(() => resolveSchedulerConfig('euler', { beta_schedule: 'squaredcos_cap_v2' })).toThrow(/beta_schedule/);
    expect(() => resolveSchedulerConfig('euler', { steps_offset: '1' })).toThrow(/steps_offset/);
    expect(() => resolveSchedulerConfig('ddim', { rescale_betas_zero_snr: true })).toThrow(/rescale_betas_zero_snr/);
    expect(() => createScheduler('euler').setTimesteps(0)).toThrow(/inference steps/);
    expect(() => createScheduler('ddim', { steps_offset: 1 }).setTimesteps(1000)).toThrow(/past timestep 999/);
  });

  it('refuses to step before setTimesteps or past the last step', () => {
    const s = createScheduler('euler');
    const b = new Float32Array(4);
    expect(() => s.step(b, 0, b, b)).toThrow(/setTimesteps/);
    s.setTimesteps(2);
    expect(() => s.step(b, 2, b, b)).toThrow(/outside/);
    expect(() => s.step(b, 0, b, new Float32Array(3))).toThrow(/lengths/);
  });
});
