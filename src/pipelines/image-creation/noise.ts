/**
 * Seeded Gaussian noise that reproduces `torch.randn(n, generator=torch.Generator().manual_seed(seed))`
 * on the CPU, so a seed gives the same starting latents here as in diffusers.
 *
 * The generator, as PyTorch's CPU generator (ATen CPUGeneratorImpl) defines it:
 * - MT19937 (32-bit Mersenne Twister), seeded with the low 32 bits of the seed (torch keeps
 *   only those, so seeds that differ above bit 31 give the same noise there too).
 * - float uniforms: `(u32 & 0xFFFFFF) / 2^24`; double uniforms: 53 bits of two draws
 *   (first draw high).
 * - Tensors of 16 or more elements: all n uniforms are drawn first, then each block of 16 is
 *   turned into normals by Box–Muller, pairing element j with j+8 (u1 = 1 − x[j],
 *   r = √(−2 ln u1), θ = 2π·x[j+8]; x[j] = r cos θ, x[j+8] = r sin θ). When n is not a multiple
 *   of 16 the last 16 elements are redrawn and transformed again.
 * - Smaller tensors: one double Box–Muller pair per two elements; the sine half is cached in the
 *   generator and used by the next draw, as torch's `normal_distribution<double>` does.
 *
 * Determinism: the integer stream is exact; the float arithmetic uses Math.log/sqrt/sin/cos,
 * which V8 implements itself (fdlibm ports, not the platform libm), rounded to float32 at the
 * same points torch's float kernel rounds. The same seed gives the same bits on every machine
 * with the same Node major version. Against torch 1.13 (AVX2) the small-tensor path is
 * bit-identical; in the 16-block path about 1 element in 6 differs by 1–3 float32 ulps
 * (|Δ| < 5e-7), where torch's SLEEF logf/sincosf (1-ulp accurate) round differently.
 */

const MT_N = 624;
const MT_M = 397;
const TWO_POW_24 = 16_777_216;
const TWO_POW_32 = 4_294_967_296;
const TWO_POW_53 = 9_007_199_254_740_992;
const TWO_PI = 2 * Math.PI;
/** torch's AVX2 kernel multiplies float uniforms by 2π rounded to float32. */
const TWO_PI_F32 = Math.fround(TWO_PI);

export class Mt19937 {
  private readonly state = new Uint32Array(MT_N);
  private index = MT_N;

  constructor(seed: number) {
    this.state[0] = seed >>> 0;
    for (let i = 1; i < MT_N; i++) {
      const prev = this.state[i - 1] ^ (this.state[i - 1] >>> 30);
      // 1812433253 · prev + i in uint32 arithmetic
      this.state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    if (this.index >= MT_N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let i = 0; i < MT_N; i++) {
      const y = (s[i] & 0x80000000) | (s[(i + 1) % MT_N] & 0x7fffffff);
      s[i] = s[(i + MT_M) % MT_N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }
}

/** Seeds as the API accepts them: integers in [0, 2^53). Only the low 32 bits reach MT19937. */
function low32(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  return seed % TWO_POW_32;
}

/** A stateful generator like `torch.Generator('cpu').manual_seed(seed)`. */
export class TorchCpuGenerator {
  private engine: Mt19937;
  private cachedNormal: number | undefined;

  constructor(seed: number) {
    this.engine = new Mt19937(low32(seed));
  }

  manualSeed(seed: number): void {
    this.engine = new Mt19937(low32(seed));
    this.cachedNormal = undefined;
  }

  /** Fills `out` as `torch.randn(out.length)` (float32) would, advancing the generator alike. */
  randn(out: Float32Array): Float32Array {
    const n = out.length;
    if (n >= 16) {
      for (let i = 0; i < n; i++) out[i] = this.uniformFloat();
      for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
      if (n % 16 !== 0) {
        const base = n - 16;
        for (let j = 0; j < 16; j++) out[base + j] = this.uniformFloat();
        boxMuller16(out, base);
      }
    } else {
      for (let i = 0; i < n; i++) out[i] = this.normalDouble();
    }
    return out;
  }

  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) / TWO_POW_24;
  }

  private uniformDouble(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) / TWO_POW_53;
  }

  private normalDouble(): number {
    if (this.cachedNormal !== undefined) {
      const cached = this.cachedNormal;
      this.cachedNormal = undefined;
      return cached;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/**
 * torch's `normal_fill_16_AVX2` on float data (the kernel x86-64 builds use): j pairs with j+8,
 * each operation rounded to float32. (Non-AVX2 builds form θ in double: a 1-ulp difference.)
 */
function boxMuller16(data: Float32Array, base: number): void {
  const f = Math.fround;
  for (let j = base; j < base + 8; j++) {
    const u1 = 1 - data[j];
    const u2 = data[j + 8];
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = f(TWO_PI_F32 * u2);
    data[j] = f(radius * f(Math.cos(theta)));
    data[j + 8] = f(radius * f(Math.sin(theta)));
  }
}

/** `torch.randn(size, generator=torch.Generator().manual_seed(seed))` as float32. */
export function randn(seed: number, size: number, out: Float32Array = new Float32Array(size)): Float32Array {
  if (out.length !== size) throw new RangeError(`output has ${out.length} elements, expected ${size}`);
  return new TorchCpuGenerator(seed).randn(out);
}

/**
 * Per-element noise for schedulers that add noise while sampling (Euler ancestral, LCM),
 * drawn in chunks of `chunkSize` from the same generator as the initial latents. With the
 * chunk equal to the latent size, each step consumes one `randn(latent shape)`, as diffusers'
 * `randn_tensor` per step does. The buffer is allocated once.
 */
export class NoiseStream {
  private readonly buffer: Float32Array;
  private position: number;

  constructor(
    private readonly generator: TorchCpuGenerator,
    chunkSize: number,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`);
    this.buffer = new Float32Array(chunkSize);
    this.position = chunkSize;
  }

  /** A NoiseSource: one standard-normal value per call. */
  readonly next = (): number => {
    if (this.position === this.buffer.length) {
      this.generator.randn(this.buffer);
      this.position = 0;
    }
    return this.buffer[this.position++];
  };
}
