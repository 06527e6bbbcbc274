/**
 * Piecewise-affine mesh warp, TypeScript (native/src/mesh_warp.rs is the same arithmetic in f64,
 * so both give the same floats): for every triangle of the target mesh, the affine taking its
 * corners to the same triangle on the source's mesh; each patch pixel (centre) inside the
 * triangle samples the source bilinearly there (edges clamped). Writes RGB f32 and a coverage map.
 */
export function warpTriangles(src: Uint8Array, sw: number, sh: number, sc: number, srcPts: Float32Array, dstPts: Float32Array,
  triangles: Uint16Array, x0: number, y0: number, width: number, height: number, rgb: Float32Array, covered: Uint8Array): void {
  const sd = src;
  for (let t = 0; t + 2 < triangles.length; t += 3) {
    const a = triangles[t], b = triangles[t + 1], c = triangles[t + 2];
    // Target triangle in patch coordinates.
    const ax = dstPts[3 * a] - x0, ay = dstPts[3 * a + 1] - y0;
    const bx = dstPts[3 * b] - x0, by = dstPts[3 * b + 1] - y0;
    const cx = dstPts[3 * c] - x0, cy = dstPts[3 * c + 1] - y0;
    const det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
    if (Math.abs(det) < 1e-6) continue;
    // Barycentric weights as affine functions of (x, y): w_b = b0·x + b1·y + b2, w_c likewise.
    const inv = 1 / det;
    const b0 = (cy - ay) * inv, b1 = -(cx - ax) * inv, b2 = -(b0 * ax + b1 * ay);
    const c0 = -(by - ay) * inv, c1 = (bx - ax) * inv, c2 = -(c0 * ax + c1 * ay);
    const sax = srcPts[3 * a], say = srcPts[3 * a + 1];
    const dbx = srcPts[3 * b] - sax, dby = srcPts[3 * b + 1] - say;
    const dcx = srcPts[3 * c] - sax, dcy = srcPts[3 * c + 1] - say;
    const xmin = Math.max(0, Math.floor(Math.min(ax, bx, cx))), xmax = Math.min(width - 1, Math.ceil(Math.max(ax, bx, cx)));
    const ymin = Math.max(0, Math.floor(Math.min(ay, by, cy))), ymax = Math.min(height - 1, Math.ceil(Math.max(ay, by, cy)));
    const eps = -1e-5;
    for (let y = ymin; y <= ymax; y++) {
      const py = y + 0.5;
      for (let x = xmin; x <= xmax; x++) {
        const px = x + 0.5;
        const wb = b0 * px + b1 * py + b2;
        const wc = c0 * px + c1 * py + c2;
        if (wb < eps || wc < eps || wb + wc > 1 - eps) continue;
        // Source position (pixel-centre convention: sample at s − 0.5).
        const sx = sax + wb * dbx + wc * dcx - 0.5;
        const sy = say + wb * dby + wc * dcy - 0.5;
        const fx = Math.floor(sx), fy = Math.floor(sy);
        const tx = sx - fx, ty = sy - fy;
        const xa = fx < 0 ? 0 : fx >= sw ? sw - 1 : fx, xb = fx + 1 < 0 ? 0 : fx + 1 >= sw ? sw - 1 : fx + 1;
        const ya = fy < 0 ? 0 : fy >= sh ? sh - 1 : fy, yb = fy + 1 < 0 ? 0 : fy + 1 >= sh ? sh - 1 : fy + 1;
        const o00 = (ya * sw + xa) * sc, o10 = (ya * sw + xb) * sc, o01 = (yb * sw + xa) * sc, o11 = (yb * sw + xb) * sc;
        const w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty;
        const o = (y * width + x) * 3;
        for (let k = 0; k < 3; k++) rgb[o + k] = w00 * sd[o00 + k] + w10 * sd[o10 + k] + w01 * sd[o01 + k] + w11 * sd[o11 + k];
        covered[y * width + x] = 1;
      }
    }
  }
}
