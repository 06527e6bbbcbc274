/**
 * The seeded generator against values printed by PyTorch 1.13 (Debian python3-torch, x86-64,
 * AVX2 kernels): `torch.randn(n, generator=torch.Generator().manual_seed(seed))`.
 */
import { describe, expect, it } from 'vitest';
import { Mt19937, NoiseStream, TorchCpuGenerator, randn } from '../../src/pipelines/image-creation/noise.js';

/** Values in the 16-block path may differ from torch by a few float32 ulps (SLEEF vs fdlibm). */
function expectNearTorch(actual: ArrayLike<number>, torch: readonly number[]): void {
  expect(actual.length).toBe(torch.length);
  for (let i = 0; i < torch.length; i++) expect(Math.abs(actual[i] - torch[i]), `element ${i}`).toBeLessThanOrEqual(5e-7 * Math.max(1, Math.abs(torch[i])));
}

describe('Mt19937', () => {
  it('gives the reference first outputs (std::mt19937 default seed 5489)', () => {
    const mt = new Mt19937(5489);
    expect(mt.nextUint32()).toBe(3499211612);
    expect(mt.nextUint32()).toBe(581869302);
    const again = new Mt19937(5489);
    for (let i = 0; i < 9999; i++) again.nextUint32();
    // C++11 requires the 10000th output of a default-constructed mt19937 to be 4123659995
    expect(again.nextUint32()).toBe(4123659995);
  });
});

describe('randn reproduces torch.randn on the CPU', () => {
  it('small tensors (double Box–Muller) bit for bit', () => {
    expect(Array.from(randn(42, 4))).toEqual([0.33669036626815796, 0.12880940735340118, 0.23446236550807953, 0.23033303022384644]);
  });

  it('keeps torch\'s cached second normal across calls on one generator', () => {
    const g = new TorchCpuGenerator(3);
    expect(Array.from(g.randn(new Float32Array(5)))).toEqual([
      0.8032760620117188, 0.17483338713645935, 0.08897809684276581, -0.6137180328369141, 0.04618244990706444,
    ]);
    expect(Array.from(g.randn(new Float32Array(3)))).toEqual([-1.3682591915130615, 0.3374950885772705, 1.0111159086227417]);
    expectNearTorch(g.randn(new Float32Array(17)).slice(0, 3), [0.26150116324424744, -0.2929125428199768, -0.3480893075466156]);
  });

  it('a latent-sized tensor whose size is not a multiple of 16 (504×640 → 4×63×80)', () => {
    const x = randn(0, 20160);
    expectNearTorch(x.slice(0, 16), [
      -1.1258398294448853, -1.152360200881958, -0.2505785822868347, -0.4338788092136383, 0.8487103581428528,
      0.6920091509819031, -0.31601276993751526, -2.1152193546295166, 0.32227492332458496, -1.2633347511291504,
      0.34998318552970886, 0.30813392996788025, 0.11984150856733322, 1.237657904624939, 1.1167771816253662,
      -0.2472781538963318,
    ]);
    // the last 16 are redrawn and transformed again, overlapping the previous block
    expectNearTorch(x.slice(-20), [
      -0.4393055737018585, 0.1519985944032669, -1.0472127199172974, -0.5089775919914246, 1.100494623184204,
      0.27869778871536255, -0.5832409262657166, -1.0956486463546753, -0.3207462728023529, 0.20684345066547394,
      -0.34790050983428955, 1.3486500978469849, 0.18768863379955292, 0.8951988220214844, 0.27826932072639465,
      1.1533573865890503, 0.1804797351360321, 1.4875417947769165, 0.19671280682086945, 2.2916157245635986,
    ]);
    let sum = 0;
    let sumSq = 0;
    for (const v of x) {
      sum += v;
      sumSq += v * v;
    }
    expect(sum).toBeCloseTo(-242.6398091770825, 2);
    expect(sumSq).toBeCloseTo(20330.130974083047, 1);
  });

  it('uses only the low 32 bits of the seed, as torch does', () => {
    expect(randn(2 ** 32 + 42, 4)).toEqual(randn(42, 4));
    expectNearTorch(randn(123456789, 256).slice(0, 8), [
      0.2642554044723511, -0.41489896178245544, -0.6075137853622437, 0.7319287061691284, -0.1568867564201355,
      -0.8602409958839417, -0.8461974263191223, -0.30944085121154785,
    ]);
    expect(() => randn(-1, 4)).toThrow(RangeError);
    expect(() => randn(1.5, 4)).toThrow(RangeError);
  });
});

describe('determinism', () => {
  it('same seed → same bits, different seed → different noise, standard normal statistics', () => {
    const a = randn(2024, 4 * 64 * 64);
    const b = randn(2024, 4 * 64 * 64);
    const c = randn(2025, 4 * 64 * 64);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === c[i]) same++;
    expect(same).toBeLessThan(5);
    let mean = 0;
    for (const v of a) mean += v;
    mean /= a.length;
    let variance = 0;
    for (const v of a) variance += (v - mean) ** 2;
    variance /= a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('NoiseStream consumes one randn(chunk) per chunk, like diffusers\' per-step randn_tensor', () => {
    const chunk = 64;
    const stream = new NoiseStream(new TorchCpuGenerator(9), chunk);
    const drawn = Float32Array.from({ length: 3 * chunk }, () => stream.next());
    const g = new TorchCpuGenerator(9);
    const expected = new Float32Array(3 * chunk);
    for (let k = 0; k < 3; k++) expected.set(g.randn(new Float32Array(chunk)), k * chunk);
    expect(drawn).toEqual(expected);
  });
});
