/**
 * LCM's `timestep_cond`: the guidance scale the model was distilled with, as a sinusoidal
 * embedding (diffusers `get_guidance_scale_embedding`). Pass w = guidance_scale − 1; the
 * pipeline feeds the result as a [1, dim] float input, `dim` = the UNet's time_cond_proj_dim.
 *
 * Computed in float32 at the same points as diffusers: with w·1000 in the thousands, the
 * angle's float32 rounding moves the high-frequency components by ~1e-3, and the model was
 * trained on the float32 values.
 */
export function getGuidanceScaleEmbedding(w: number, dim = 256, out: Float32Array = new Float32Array(dim)): Float32Array {
  if (!Number.isInteger(dim) || dim < 4) throw new RangeError(`embedding dim must be an integer ≥ 4, got ${dim}`);
  if (out.length !== dim) throw new RangeError(`output has ${out.length} elements, expected ${dim}`);
  const f = Math.fround;
  const half = Math.floor(dim / 2);
  const scaled = f(f(w) * 1000);
  const rate = f(f(Math.log(10000)) / (half - 1));
  for (let k = 0; k < half; k++) {
    const angle = f(scaled * f(Math.exp(f(k * -rate))));
    out[k] = Math.sin(angle);
    out[half + k] = Math.cos(angle);
  }
  if (dim % 2 === 1) out[dim - 1] = 0;
  return out;
}
