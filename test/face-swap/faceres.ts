/**
 * The identity oracle of the face-swap tests: HSE FaceRes ("faceres" in @vladmandic/human), a
 * face-recognition CNN whose 1024-wide `global_pooling/Mean` layer is the descriptor human
 * compares faces by. It is a TEST oracle only: the licence of its weights is not confirmed for
 * shipping, so it is not in models/manifest.json nor in TFJS_SOURCES and nothing installs it;
 * the tests convert it from the npm package with the project's own tfjs → ONNX converter into a
 * temp folder (a second or two). It is independent of the mesh engine under test: a learned
 * appearance descriptor, not FaceMesh geometry.
 *
 * Preparation follows human 3.x (src/face/faceres.ts, facemesh.ts, blazeface.ts): the face crop
 * is the detector box grown 1.4× about its centre and made square (config.face.detector.scale,
 * squarifyBox), no rotation (config.face.detector.rotation is false), sampled bilinearly to the
 * model's 224² RGB with values 0–255 (human's crop is 0–1 and faceres.enhance multiplies by 255),
 * black outside the image (cropAndResize's extrapolation value). Faces are compared by human's
 * match.distance: 25 × the squared Euclidean distance (order 2, multiplier 25).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedImage } from '../../src/imaging/decoded-image.js';
import { convertTfjsFile } from '../../src/models/convert/tfjs/index.js';
import type { Affine, Kernels } from '../../src/native/types.js';
import type { Face } from '../../src/pipelines/face-swap/types.js';
import { tensor, type Session } from '../../src/runtime/index.js';
import { sessions } from './support.js';

export const FACERES_INPUT = 224;
/** human's config.face.detector.scale: how much the detector box is grown before the crop. */
const BOX_SCALE = 1.4;
const RAW_0_255 = { mean: [0, 0, 0], std: [1, 1, 1] } as const;

export const FACERES_JSON = join(import.meta.dirname, '..', '..', 'node_modules', '@vladmandic', 'human', 'models', 'faceres.json');

/** Converts faceres.json (+ shard) to ONNX in a temp folder and opens it. */
export async function loadFaceres(): Promise<Session> {
  const conv = convertTfjsFile(FACERES_JSON, {
    graphName: 'faceres_test_oracle',
    rename: { input_1: 'image', 'global_pooling/Mean': 'descriptor', 'gender_pred/Sigmoid:0': 'gender', 'age_pred/Softmax:0': 'age' },
  });
  const file = join(mkdtempSync(join(tmpdir(), 'backserv-faceres-')), 'faceres.onnx');
  writeFileSync(file, conv.onnx);
  return sessions.get(file);
}

/** The square box human crops for a detector box: centre kept, side 1.4 × the longer side. */
export function faceresBox(box: Face['box']): Face['box'] {
  const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
  const half = (BOX_SCALE * Math.max(box[2] - box[0], box[3] - box[1])) / 2;
  return [Math.round(cx - half), Math.round(cy - half), Math.round(cx + half), Math.round(cy + half)];
}

/** faceres' 224² NHWC input for the square `crop` of `img` (tf.image.cropAndResize's sampling). */
export function faceresInput(img: DecodedImage, crop: Face['box'], kernels: Kernels): Float32Array {
  const n = FACERES_INPUT;
  // cropAndResize puts output pixel i at x1 + i·(x2 − x1)/(n − 1) in pixel-index coordinates.
  const sx = (crop[2] - crop[0]) / (n - 1), sy = (crop[3] - crop[1]) / (n - 1);
  const m: Affine = [sx, 0, crop[0], 0, sy, crop[1]];
  const planes = kernels.warpAffineToNchw(img.data, img.width, img.height, img.channels, m, n, n, RAW_0_255);
  const nhwc = new Float32Array(3 * n * n);
  for (let i = 0; i < n * n; i++) {
    nhwc[3 * i] = planes[i];
    nhwc[3 * i + 1] = planes[n * n + i];
    nhwc[3 * i + 2] = planes[2 * n * n + i];
  }
  return nhwc;
}

/** The 1024-wide descriptor of the face in the square `crop` of `img`. */
export async function faceresDescriptor(session: Session, img: DecodedImage, crop: Face['box'], kernels: Kernels): Promise<Float32Array> {
  const out = await session.run({ image: tensor('float32', faceresInput(img, crop, kernels), [1, FACERES_INPUT, FACERES_INPUT, 3]) });
  const d = out.descriptor;
  if (!d || !(d.data instanceof Float32Array)) throw new Error('faceres returned no float32 descriptor');
  return d.data;
}

/** human's match.distance with its defaults (order 2, multiplier 25): 25 · Σ (a − b)². */
export function faceresDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return 25 * s;
}
