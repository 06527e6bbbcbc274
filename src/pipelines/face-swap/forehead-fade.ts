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

/** The fade as s(x, y) = ax·x + ay·y + c (the position in bands below the top), or null for a degenerate mesh. */
function bandCoordinate(points: Float32Array): { ax: number; ay: number; c: number } | null {
  const tx = points[3 * TOP], ty = points[3 * TOP + 1];
  const dx = points[3 * CHIN] - tx, dy = points[3 * CHIN + 1] - ty;
  const h2 = dx * dx + dy * dy;
  if (!(h2 > 0)) return null;
  // Position along the axis as a share of the mesh height (0 at the top vertex, 1 at the chin), in bands.
  const ax = dx / h2 / FOREHEAD_BAND, ay = dy / h2 / FOREHEAD_BAND;
  return { ax, ay, c: -(tx * ax + ty * ay) };
}

const smooth = (s: number) => (s <= 0 ? 0 : s >= 1 ? 1 : s * s * (3 - 2 * s));

/** The fade weight (0–1) at image point (x, y) for the face with these mesh points. */
export function foreheadWeightAt(points: Float32Array, x: number, y: number): number {
  const b = bandCoordinate(points);
  return b ? smooth(b.ax * x + b.ay * y + b.c) : 1;
}

/** Multiplies a mask over the patch at (x0, y0) (width×height, frame pixels) by the fade, in place. */
export function fadeForehead(mask: Float32Array, points: Float32Array, x0: number, y0: number, width: number, height: number): void {
  const b = bandCoordinate(points);
  if (!b) return;
  for (let y = 0; y < height; y++) {
    // Pixel centres: s is linear along the row.
    const rowS = b.ax * (x0 + 0.5) + b.ay * (y0 + y + 0.5) + b.c;
    for (let x = 0; x < width; x++) {
      const s = rowS + b.ax * x;
      if (s >= 1) continue;
      const i = y * width + x;
      mask[i] *= smooth(s);
    }
  }
}
