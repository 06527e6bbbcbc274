/**
 * 2×3 affine helpers and the closed-form 2-D Umeyama similarity (rotation, uniform scale,
 * translation) that insightface gets from skimage's SimilarityTransform.estimate.
 */
import type { Affine } from '../../native/types.js';
import type { Point } from './types.js';

/**
 * Least-squares similarity mapping `src` onto `dst` (MODELS.md §4 Alignment): centre both sets,
 * a = Σ(sx·dx + sy·dy), b = Σ(sx·dy − sy·dx), n = Σ(sx² + sy²); R = [[a, −b], [b, a]]/n.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length !== dst.length || src.length < 2) throw new RangeError('similarityTransform needs two equal sets of ≥ 2 points');
  const k = src.length;
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < k; i++) {
    msx += src[i][0]; msy += src[i][1]; mdx += dst[i][0]; mdy += dst[i][1];
  }
  msx /= k; msy /= k; mdx /= k; mdy /= k;
  let a = 0, b = 0, n = 0;
  for (let i = 0; i < k; i++) {
    const sx = src[i][0] - msx, sy = src[i][1] - msy;
    const dx = dst[i][0] - mdx, dy = dst[i][1] - mdy;
    a += sx * dx + sy * dy;
    b += sx * dy - sy * dx;
    n += sx * sx + sy * sy;
  }
  // All source points equal: no scale or rotation can be estimated.
  if (n === 0) throw new RangeError('similarityTransform: source points coincide');
  const p = a / n, q = b / n;
  return [p, -q, mdx - (p * msx - q * msy), q, p, mdy - (q * msx + p * msy)];
}

/** For M = [A|t]: [A⁻¹ | −A⁻¹t] (cv2.invertAffineTransform). */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (det === 0) throw new RangeError('invertAffine: singular matrix');
  const ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

export function applyAffine(m: Affine, p: Point): [number, number] {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

/** Uniform scale of a similarity (or the geometric-mean scale of any affine). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}
