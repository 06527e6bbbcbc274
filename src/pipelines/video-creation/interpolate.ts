/**
 * Interpolation between keyframes. Noise is slerped, not lerped: a straight line between two
 * independent Gaussian vectors passes through shorter vectors (|lerp(a, b, ½)| ≈ |a|/√2), and
 * the UNet, trained on noise of a fixed norm, turns such a start into a washed-out frame; the
 * great-circle path keeps the norm. Text embeddings are lerped (what diffusers' prompt walks do).
 */

/** Spherical interpolation from `a` (t = 0) to `b` (t = 1); falls back to lerp for near-parallel vectors. */
export function slerp(a: Float32Array, b: Float32Array, t: number, out: Float32Array = new Float32Array(a.length)): Float32Array {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError(`slerp of ${a.length}, ${b.length} into ${out.length} elements`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 1;
  if (Math.abs(cos) > 0.9995) return lerp(a, b, t, out);
  const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
  const s = Math.sin(theta);
  const wa = Math.sin((1 - t) * theta) / s;
  const wb = Math.sin(t * theta) / s;
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

export function lerp(a: Float32Array, b: Float32Array, t: number, out: Float32Array = new Float32Array(a.length)): Float32Array {
  if (a.length !== b.length || out.length !== a.length) throw new RangeError(`lerp of ${a.length}, ${b.length} into ${out.length} elements`);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + t * (b[i] - a[i]);
  return out;
}
