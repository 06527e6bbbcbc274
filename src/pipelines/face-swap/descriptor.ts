/**
 * An identity descriptor from face geometry, for `reference_image` when ArcFace is not
 * installed: the 3-D distances between 20 stable FaceMesh landmarks (eye corners, brows, nose,
 * mouth, chin, cheeks, forehead: 20 points, 190 distances), divided by their mean. Distances do not change with rotation,
 * and the division removes scale, so the same person in another pose or size keeps a close
 * vector; it tells apart face shapes, not skin or hair, so it is a weak identity signal.
 */
const KEYS = [33, 133, 362, 263, 70, 300, 105, 334, 1, 4, 98, 327, 61, 291, 0, 17, 152, 10, 234, 454];

export function meshDescriptor(points: Float32Array): Float32Array {
  const n = KEYS.length;
  const d = new Float32Array((n * (n - 1)) / 2);
  let k = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = 3 * KEYS[i], b = 3 * KEYS[j];
      const v = Math.hypot(points[a] - points[b], points[a + 1] - points[b + 1], points[a + 2] - points[b + 2]);
      d[k++] = v;
      sum += v;
    }
  }
  const mean = sum / d.length || 1;
  for (let i = 0; i < d.length; i++) d[i] /= mean;
  return d;
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** 1 − cosine similarity of two L2-normalised embeddings (ArcFace). */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return 1 - s;
}
