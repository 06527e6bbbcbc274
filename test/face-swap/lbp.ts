/**
 * The identity oracle of the mesh-engine tests: uniform-LBP histograms over a 7×7 grid of the
 * 112² ArcFace-aligned grey face (Ahonen, Hadid & Pietikäinen 2006, a classic face-recognition
 * descriptor), compared by χ² distance. It is independent of the engine under test: it aligns by
 * the detector's 5 points (not FaceMesh) and reads local texture, not geometry, which the mesh
 * engine keeps from the target by design. A learned descriptor (HSE FaceRes from
 * @vladmandic/human, converted at test time) checks the same in identity-oracle.test.ts.
 */
import { NORM_0_1 } from '../../src/native/types.js';
import { loadKernels } from '../../src/native/index.js';
import { alignCrop } from '../../src/pipelines/face-swap/align.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';

const SIZE = 112;
const GRID = 7;

/** The 58 uniform 8-bit patterns get their own bin; all others share bin 58. */
const UNIFORM_BIN = (() => {
  const map = new Int16Array(256).fill(58);
  let next = 0;
  for (let v = 0; v < 256; v++) {
    let transitions = 0;
    for (let b = 0; b < 8; b++) if (((v >> b) & 1) !== ((v >> ((b + 1) % 8)) & 1)) transitions++;
    if (transitions <= 2) map[v] = next++;
  }
  return map;
})();

export function lbpDescriptor(img: DecodedImage, face: Face): Float32Array {
  const { tensor } = alignCrop(img, face.landmarks, SIZE, loadKernels(), NORM_0_1);
  const n = SIZE * SIZE;
  const grey = new Float32Array(n);
  for (let i = 0; i < n; i++) grey[i] = 0.299 * tensor[i] + 0.587 * tensor[n + i] + 0.114 * tensor[2 * n + i];
  const hist = new Float32Array(GRID * GRID * 59);
  const cell = (SIZE - 2) / GRID;
  const offs = [[-1, -1], [0, -1], [1, -1], [1, 0], [1, 1], [0, 1], [-1, 1], [-1, 0]];
  for (let y = 1; y < SIZE - 1; y++) {
    for (let x = 1; x < SIZE - 1; x++) {
      const c = grey[y * SIZE + x];
      let code = 0;
      offs.forEach(([dx, dy], b) => { if (grey[(y + dy) * SIZE + x + dx] >= c) code |= 1 << b; });
      const gx = Math.min(GRID - 1, Math.floor((x - 1) / cell)), gy = Math.min(GRID - 1, Math.floor((y - 1) / cell));
      hist[(gy * GRID + gx) * 59 + UNIFORM_BIN[code]]++;
    }
  }
  const total = (SIZE - 2) * (SIZE - 2);
  for (let i = 0; i < hist.length; i++) hist[i] /= total;
  return hist;
}

export function chiSquare(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] + b[i];
    if (d > 0) s += ((a[i] - b[i]) ** 2) / d;
  }
  return s;
}
