/**
 * The mesh engine's forehead fade. FaceMesh's outline reaches up to the hairline (vertex 10), so
 * a blend over the whole oval carries the source's hairline, fringe or hair onto the target's
 * forehead. The blend weight is faded out towards the top: along the face's own vertical axis
 * (forehead top 10 → chin 152, so a tilted head fades along its tilt), 0 at the top of the mesh,
 * rising smoothly to full over the upper FOREHEAD_BAND of the mesh height. The target's own
 * forehead top and hairline stay; the source's brows, eyes and everything below are untouched.
 */

const TOP = 10;
const CHIN = 152;
/**
 * Share of the mesh height (top → chin) over which the blend fades in: the top 10 % (half weight
 * at 5 %), where a source's hairline or fringe sits. A wider band (15 % was tried) gives back so
 * much forehead to the target that the identity moved measurably less on the test oracle (LBP).
 */
export const FOREHEAD_BAND = 0.1;

/** The fade weight (0–1) at image point (x, y) for the face with these mesh points. */
export function foreheadWeightAt(points: Float32Array, x: number, y: number): number {
  const tx = points[3 * TOP], ty = points[3 * TOP + 1];
  const dx = points[3 * CHIN] - tx, dy = points[3 * CHIN + 1] - ty;
  const h2 = dx * dx + dy * dy;
  if (!(h2 > 0)) return 1;
  // Position along the axis as a share of the mesh height: 0 at the top vertex, 1 at the chin.
  const s = ((x - tx) * dx + (y - ty) * dy) / h2 / FOREHEAD_BAND;
  if (s <= 0) return 0;
  if (s >= 1) return 1;
  return s * s * (3 - 2 * s);
}

/** Multiplies a mask over the patch at (x0, y0) (width×height, frame pixels) by the fade, in place. */
export function fadeForehead(mask: Float32Array, points: Float32Array, x0: number, y0: number, width: number, height: number): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (mask[i] > 0) mask[i] *= foreheadWeightAt(points, x0 + x + 0.5, y0 + y + 0.5);
    }
  }
}
