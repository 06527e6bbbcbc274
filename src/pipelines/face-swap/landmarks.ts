/**
 * FaceMesh landmarks for a detected face: an eye-levelled square crop around the detector's box
 * (1.5× its longer side, as MediaPipe's face ROI and the golden file's crops), sampled to 192²
 * RGB 0–1 NHWC, run through FaceMesh, and the 468 points mapped back to image pixels.
 */
import { NORM_0_1, type Affine, type Kernels } from '../../native/types.js';
import { tensor, type Session } from '../../runtime/index.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { applyAffine } from './affine.js';
import { MESH_VERTICES } from './mesh/canonical-mesh.js';
import { floatData } from './tensors.js';
import type { Face } from './types.js';

export const MESH_INPUT = 192;
const ROI_SCALE = 1.5;

export interface FaceMeshResult {
  /** 468 × (x, y, z) in image pixels; z is depth relative to the face centre, same scale as x. */
  points: Float32Array;
  /** FaceMesh's face-presence score (after its sigmoid). */
  faceflag: number;
}

/** Crop → image transform of the 192² landmark crop for `face`. */
export function meshCropMatrix(face: Face): Affine {
  const [x1, y1, x2, y2] = face.box;
  const [le, re] = face.landmarks;
  const angle = Math.atan2(re[1] - le[1], re[0] - le[0]);
  const s = (ROI_SCALE * Math.max(x2 - x1, y2 - y1)) / MESH_INPUT;
  const cos = Math.cos(angle) * s, sin = Math.sin(angle) * s;
  const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
  const h = MESH_INPUT / 2;
  // image = centre + R·s·(crop − 96)
  return [cos, -sin, cx - cos * h + sin * h, sin, cos, cy - sin * h - cos * h];
}

export async function faceMesh(session: Session, img: DecodedImage, face: Face, kernels: Kernels): Promise<FaceMeshResult> {
  const m = meshCropMatrix(face);
  const n = MESH_INPUT * MESH_INPUT;
  const planes = kernels.warpAffineToNchw(img.data, img.width, img.height, img.channels, m, MESH_INPUT, MESH_INPUT, NORM_0_1);
  const nhwc = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    nhwc[3 * i] = planes[i];
    nhwc[3 * i + 1] = planes[n + i];
    nhwc[3 * i + 2] = planes[2 * n + i];
  }
  const out = await session.run({ [session.inputNames[0]]: tensor('float32', nhwc, [1, MESH_INPUT, MESH_INPUT, 3]) });
  const meshName = session.outputNames.find((o) => o.includes('mesh')) ?? session.outputNames[0];
  const flagName = session.outputNames.find((o) => o.includes('flag')) ?? session.outputNames[1];
  const raw = floatData(out[meshName], 'FaceMesh mesh');
  if (raw.length < 3 * MESH_VERTICES) throw new RangeError(`FaceMesh returned ${raw.length} values, expected ${3 * MESH_VERTICES}`);
  const scale = Math.hypot(m[0], m[3]);
  const points = new Float32Array(3 * MESH_VERTICES);
  for (let i = 0; i < MESH_VERTICES; i++) {
    const [x, y] = applyAffine(m, [raw[3 * i], raw[3 * i + 1]]);
    points[3 * i] = x;
    points[3 * i + 1] = y;
    points[3 * i + 2] = raw[3 * i + 2] * scale;
  }
  const flag = flagName ? floatData(out[flagName], 'FaceMesh faceflag')[0] : 1;
  return { points, faceflag: flag };
}
