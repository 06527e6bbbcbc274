/** Small vector maths for embeddings (f64 accumulation, f32 storage as the models use). */

/** In place: v / ‖v‖ (a zero vector is returned unchanged rather than turned into NaNs). */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Row vector × row-major rows×cols matrix. */
export function vecMat(v: Float32Array, m: Float32Array, rows: number, cols: number): Float32Array {
  if (v.length !== rows || m.length !== rows * cols) throw new RangeError('vecMat: shapes do not match');
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const x = v[r];
    if (x === 0) continue;
    const row = r * cols;
    for (let c = 0; c < cols; c++) acc[c] += x * m[row + c];
  }
  return Float32Array.from(acc);
}
